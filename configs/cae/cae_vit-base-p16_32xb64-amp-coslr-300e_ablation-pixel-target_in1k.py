_base_ = './cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(
    neck=dict(out_channels=768),
    target_generator=None,
    target='pixels')

data_preprocessor = dict(
    _delete_=True,
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomResizedCropAndInterpolationWithTwoPic', size=224,
         interpolation='bicubic', scale=(0.08, 1.0)),
    dict(type='mmcae.CAEBlockMaskGenerator', input_size=14,
         num_masking_patches=98, min_num_patches=16),
    dict(type='PackInputs', algorithm_keys=['mask']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
