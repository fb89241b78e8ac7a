_base_ = [
    '../../_base_/models/vit-base-p16_finetune.py',
    '../../_base_/datasets/demo_imagenet_64px.py',
    '../../_base_/schedules/finetune_adamw-layer-decay_100e.py',
]

img_size, patch_size, depth, embed_dims = 64, 8, 4, 64

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True, embed_dims=embed_dims, num_layers=depth,
            num_heads=4, mlp_hidden_dims=256),
        img_size=img_size,
        patch_size=patch_size,
        drop_path_rate=0.1,
        init_cfg=dict(
            checkpoint='work_dirs/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k/'
            'epoch_10.pth')),
    head=dict(num_classes=8, in_channels=embed_dims, topk=(1, )))

bgr_mean = [103.53, 116.28, 123.675]
bgr_std = [57.375, 57.12, 58.395]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=dict(pad_val=[round(x) for x in bgr_mean],
                     interpolation='bicubic')),
    dict(
        type='RandomErasing',
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=bgr_mean,
        fill_std=bgr_std),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    type='OptimWrapper', _delete_=True,
    constructor='mmcae.LayerDecayOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(layer_decay_rate=0.75))
max_epochs, warmup_epochs = 20, 2
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
auto_scale_lr = dict(base_batch_size=64)
