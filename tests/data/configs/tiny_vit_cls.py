# A tiny mmpretrain classifier for the tools' tests: a 1-layer, 32-d ViT on
# 32x32 images in ImageNet folder layout, which the tests generate and point
# to with --cfg-options train_dataloader.dataset.data_root=DIR.
_base_ = ['mmpretrain::_base_/default_runtime.py']

default_scope = 'mmpretrain'

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch=dict(
            embed_dims=32, num_layers=1, num_heads=2,
            feedforward_channels=64),
        img_size=32,
        patch_size=8),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=2,
        in_channels=32,
        loss=dict(type='CrossEntropyLoss')))

data_preprocessor = dict(
    num_classes=2, mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5],
    to_rgb=True)

pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
dataset = dict(
    type='CustomDataset', data_root='PLEASE_SET_data_root', pipeline=pipeline)
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dataset)

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=3.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.5, by_epoch=False, begin=0, end=4)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False))
log_processor = dict(by_epoch=False)
visualizer = dict(type='UniversalVisualizer', vis_backends=[])
randomness = dict(seed=0)

# evaluation on the same images (tools/test.py tests)
test_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dataset)
test_evaluator = dict(type='Accuracy', topk=(1, ))
test_cfg = dict()
