# A tiny mmseg segmentor for the tools' tests: a 2-layer, 32-d ViT and an FCN
# head on 64x64 images in the layout the tests generate
# (images/*.png, annotations/*.png); set the data root with --cfg-options.
_base_ = ['mmseg::_base_/default_runtime.py']

default_scope = 'mmseg'
crop_size = (64, 64)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='VisionTransformer',
        img_size=crop_size,
        patch_size=8,
        embed_dims=32,
        num_layers=2,
        num_heads=2,
        mlp_ratio=2,
        out_indices=(1, ),
        final_norm=True),
    decode_head=dict(
        type='FCNHead',
        in_channels=32,
        channels=16,
        num_convs=1,
        concat_input=False,
        in_index=0,
        num_classes=2,
        loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))

metainfo = dict(
    classes=('background', 'square'), palette=[[0, 0, 0], [255, 255, 255]])
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
dataset = dict(
    type='BaseSegDataset',
    data_root='PLEASE_SET_data_root',
    metainfo=metainfo,
    img_suffix='.png',
    seg_map_suffix='.png',
    data_prefix=dict(img_path='images', seg_map_path='annotations'),
    pipeline=pipeline)
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dataset)
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dataset)
test_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.01))
param_scheduler = [
    dict(
        type='PolyLR', power=1.0, eta_min=0.0, begin=0, end=4, by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2, val_interval=1000)
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2),
    sampler_seed=dict(type='DistSamplerSeedHook'))
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=[], name='visualizer')
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
