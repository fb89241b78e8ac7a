_base_ = [
    '../../_base_/models/vit-base-p16_attentive-probe.py',
    '../../_base_/datasets/demo_imagenet_64px.py',
    '../../_base_/schedules/probe_sgd_90e.py',
]

img_size, patch_size, depth, embed_dims = 64, 8, 4, 64

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True, embed_dims=embed_dims, num_layers=depth,
            num_heads=4, mlp_hidden_dims=256),
        img_size=img_size,
        patch_size=patch_size,
        frozen_stages=depth,
        init_cfg=dict(
            checkpoint='work_dirs/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k/'
            'epoch_10.pth')),
    head=dict(
        num_classes=8, in_channels=embed_dims, num_heads=4, topk=(1, )))

optim_wrapper = dict(
    type='OptimWrapper', _delete_=True,
    constructor='mmcae.ProbeOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.),
    paramwise_cfg=dict(frozen_prefix='backbone'))
max_epochs, warmup_epochs = 20, 2
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=0., by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
auto_scale_lr = dict(base_batch_size=64)
