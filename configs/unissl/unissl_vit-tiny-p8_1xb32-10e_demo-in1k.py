# Uni-SSL's algorithm with the demo encoder, a small DINO head and the demo
# data: S = 40 px = 5 tokens of 8 px (README.md, "On the demo data").
_base_ = [
    '../_base_/datasets/demo_imagenet_pretrain.py',
    '../_base_/models/unissl_vit-tiny-p8_demo.py',
    '../_base_/schedules/demo_adamw.py',
]

img_size, patch_size = 64, 8

view_pipeline = [
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                          saturation=0.4, hue=0.1)],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
         magnitude_std='inf', prob=1.0),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcae.OverlappingTwoViewCrop', size=img_size,
         crop_ratio_range=(0.25, 1.0), min_overlap=0.3, flip_prob=0.5,
         view_pipeline=view_pipeline),
    dict(type='PackInputs', meta_keys=('crop_boxes', 'crop_flips')),
]
train_dataloader = dict(drop_last=True, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    optimizer=dict(weight_decay=0.04), clip_grad=dict(max_norm=3.0))
