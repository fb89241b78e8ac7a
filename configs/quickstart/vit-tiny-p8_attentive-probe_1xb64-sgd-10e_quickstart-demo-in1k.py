# Quickstart step 3b: the demo attentive probe for 10 epochs; random encoder
# unless the quickstart passes one.
_base_ = [
    '../cae/benchmarks/vit-tiny-p8_attentive-probe_1xb64-sgd-20e_demo-in1k.py'
]

model = dict(backbone=dict(init_cfg=None))
max_epochs, warmup_epochs = 10, 1
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=0., by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
