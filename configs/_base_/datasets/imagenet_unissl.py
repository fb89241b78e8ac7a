# ImageNet-1k train split for Uni-SSL pretraining (no labels used):
# data_root as in docs/datasets.md#imagenet-1k
dataset_type = 'ImageNet'
data_root = 'data/imagenet'

data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

view_pipeline = [
    dict(
        type='RandomApply',
        transforms=[
            dict(
                type='ColorJitter',
                brightness=0.4,
                contrast=0.4,
                saturation=0.4,
                hue=0.1)
        ],
        prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
         magnitude_std='inf', prob=1.0),
]

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='mmcae.OverlappingTwoViewCrop',
        size=224,
        crop_ratio_range=(0.25, 1.0),
        min_overlap=0.3,
        max_attempts=50,
        flip_prob=0.5,
        view_pipeline=view_pipeline),
    dict(type='PackInputs', meta_keys=('crop_boxes', 'crop_flips')),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=10,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
