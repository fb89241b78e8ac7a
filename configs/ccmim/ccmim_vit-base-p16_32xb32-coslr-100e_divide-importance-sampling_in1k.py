# Table 5 at 100 epochs, importance-sampling division (the recipe's); warmup
# 10 epochs (README.md). The other divisions derive from this config.
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-300e_in1k.py']

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=10, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=90, eta_min=0.,
         by_epoch=True, begin=10, end=100, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=100)
