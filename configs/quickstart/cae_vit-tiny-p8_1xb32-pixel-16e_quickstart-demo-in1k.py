# Quickstart step 1: the CAE demo pretraining for 16 epochs.
_base_ = ['../cae/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py']

max_epochs = 16
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-5,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(interval=15),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
