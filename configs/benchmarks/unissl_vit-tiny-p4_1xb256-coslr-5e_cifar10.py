# Uni-SSL (DINO [CLS] + pixel-level loss on the overlap of two crops) with the
# protocol's encoder, data, batch and schedule; S = 20 px = 5 tokens of 4 px.
_base_ = [
    '../_base_/datasets/cifar10_pretrain.py',
    '../_base_/models/unissl_vit-tiny-p8_demo.py',
    '../_base_/schedules/cifar10_pretrain_5e.py',
]

img_size, patch_size = 32, 4

view_pipeline = [
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                          saturation=0.4, hue=0.1)],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
         magnitude_std='inf', prob=1.0),
]
train_pipeline = _base_.load_image + [
    dict(type='mmcae.OverlappingTwoViewCrop', size=img_size,
         crop_ratio_range=(0.25, 1.0), min_overlap=0.3, flip_prob=0.5,
         view_pipeline=view_pipeline),
    dict(type='PackInputs', meta_keys=('crop_boxes', 'crop_flips')),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    data_preprocessor=dict(
        mean=_base_.data_preprocessor.mean, std=_base_.data_preprocessor.std,
        to_rgb=_base_.to_rgb),
    backbone=dict(img_size=img_size, patch_size=patch_size),
    pixel_window=20)

optim_wrapper = dict(
    optimizer=dict(weight_decay=0.04),
    clip_grad=dict(max_norm=3.0))
