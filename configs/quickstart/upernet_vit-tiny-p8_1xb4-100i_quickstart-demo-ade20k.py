# Quickstart step 3c: the demo UperNet for 100 iterations; random encoder
# unless the quickstart passes one.
_base_ = ['../cae/upernet_vit-tiny-p8_1xb4-200i_demo-ade20k.py']

max_iters, warmup_iters = 100, 10
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=1.0, by_epoch=False,
         begin=warmup_iters, end=max_iters),
]
train_dataloader = dict(num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
