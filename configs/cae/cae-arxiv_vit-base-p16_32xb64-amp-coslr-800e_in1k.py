_base_ = './cae-arxiv_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=10, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=790, eta_min=1e-5, by_epoch=True,
         begin=10, end=800, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=800)
