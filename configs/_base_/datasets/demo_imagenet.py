# The demo classification set (mmcae.datasets.demo) for mmpretrain: the
# ImageNet layout with 8 classes, read by mmpretrain's ``ImageNet`` dataset.
# Generate it first:
#   python tools/misc/make_demo_data.py --out data/demo --size medium
#
# The crops are sized for the 'medium' set (224 px images). The 'small' set
# (64 px images, CI) takes 64 px crops and a 73 px short side (64 / 0.875),
# either on the command line:
#   --cfg-options train_dataloader.dataset.pipeline.1.scale=64 \
#       val_dataloader.dataset.pipeline.1.scale=73 \
#       val_dataloader.dataset.pipeline.2.crop_size=64 \
#       test_dataloader.dataset.pipeline.1.scale=73 \
#       test_dataloader.dataset.pipeline.2.crop_size=64
# or in a derived config that redefines ``train_pipeline`` / ``test_pipeline``
# and sets ``train_dataloader = dict(dataset=dict(pipeline=train_pipeline))``
# (and the same for val/test): variables of a base are substituted when the
# base is parsed, so redefining only a size variable in a child has no effect.
dataset_type = 'ImageNet'
data_root = 'data/demo/imagenet'

# The class names in label order. tests/test_configs/test_dataset_configs.py
# checks that this equals mmcae.datasets.demo.CLASS_NAMES.
metainfo = dict(
    classes=('ball', 'box', 'tent', 'flag', 'clock', 'plate', 'signboard',
             'flower'))

data_preprocessor = dict(
    num_classes=8,
    # ImageNet mean / std in 0-255, RGB order (kept for the demo, so that
    # ImageNet-pretrained weights see the input statistics they expect)
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=224,
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='ResizeEdge',
        scale=256,
        edge='short',
        backend='pillow',
        interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        metainfo=metainfo,
        pipeline=train_pipeline),
)

val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        metainfo=metainfo,
        pipeline=test_pipeline),
)
# top-5 of 8 classes is nearly always right; it is kept so that demo runs
# log the same keys as ImageNet runs
val_evaluator = dict(type='Accuracy', topk=(1, 5))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
