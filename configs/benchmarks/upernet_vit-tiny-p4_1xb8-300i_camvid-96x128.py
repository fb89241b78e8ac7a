# UperNet on CamVid from the protocol's CIFAR-10 encoder (the ADE20K configs'
# pyramid neck and layer decay) at 96 x 128 px (native 360 x 480), test split.
_base_ = [
    '../_base_/models/upernet_vit-base-p16.py',
    '../_base_/datasets/camvid.py',
    '../_base_/schedules/vit-seg_adamw-layer-decay-amp_160k.py',
    'mmseg::_base_/default_runtime.py',
]

scale = (128, 96)  # (w, h): CamVid's 480 x 360 / 3.75, a multiple of 4 px
crop_size = (64, 64)
embed_dims = 64
num_classes = 11
max_iters, warmup_iters = 300, 30

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcae.LoadSegAnnotations', reduce_zero_label=False),
    dict(type='RandomResize', scale=scale, ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=scale, keep_ratio=True),
    dict(type='mmcae.LoadSegAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(batch_size=8, num_workers=1,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(
    # the encoder's pretraining normalization (CIFAR-10 statistics)
    data_preprocessor=dict(
        size=crop_size, mean=[125.307, 122.961, 113.8575],
        std=[51.5865, 50.847, 51.255], bgr_to_rgb=True),
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=embed_dims, num_layers=4,
                  num_heads=4, mlp_hidden_dims=4 * embed_dims),
        img_size=crop_size,
        patch_size=4,
        out_indices=(0, 1, 2, 3),
        init_cfg=dict(
            checkpoint='weights/cae_vit-tiny-p4_1xb256-pixel-coslr-5e_'
            'cifar10.pth')),
    # strides 4, 8, 16, 32 from the stride-4 tokens (UperNet's usual ones)
    neck=dict(in_channels=embed_dims, scales=(1, 0.5, 0.25, 0.125),
              norm_cfg=dict(type='BN', requires_grad=True)),
    decode_head=dict(
        in_channels=[embed_dims] * 4, channels=embed_dims,
        num_classes=num_classes, norm_cfg=dict(type='BN', requires_grad=True),
        loss_decode=dict(avg_non_ignore=True)),
    auxiliary_head=dict(
        in_channels=embed_dims, channels=embed_dims // 2,
        num_classes=num_classes, norm_cfg=dict(type='BN', requires_grad=True),
        loss_decode=dict(avg_non_ignore=True)),
    test_cfg=dict(_delete_=True, mode='whole'))

# fp32 on CPU; AdamW 1e-3 with the ADE20K configs' layer decay 0.65
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(layer_decay_rate=0.65))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=1.0, by_epoch=False,
         begin=warmup_iters, end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
