# Quickstart, step 1: CAE pretraining of the tiny demo ViT (64-d, 4 blocks,
# 4 heads, 8-px patches, 64-px crops, pixel target) on the 'medium' demo
# ImageNet set (2 400 training images), sized for the CPU quickstart
# (tools/quickstart.sh): one OpenMP thread, about 16 s an epoch on one core.
# The demo pretraining config with a longer schedule; the paper recipes are
# configs/cae/cae_vit-*-p16_*_in1k.py.
#   python tools/misc/make_demo_data.py --out data/demo --size medium
#   python tools/train.py configs/quickstart/<this file>
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
