# The 300-epoch recipe trained for 800 epochs (warmup 40).
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-300e_in1k.py']

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=40, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=760, eta_min=0.,
         by_epoch=True, begin=40, end=800, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=800)
