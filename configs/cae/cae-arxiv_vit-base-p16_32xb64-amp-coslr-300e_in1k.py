# CAE arXiv 2022 recipe: 75 of 196 patches masked, no drop path (App. A) in
# the encoder nor, as the official code passes it on, in regressor / decoder.
_base_ = './cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(
    backbone=dict(drop_path_rate=0.), neck=dict(drop_path_rate=0.))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomResizedCropAndInterpolationWithTwoPic', size=224,
         second_size=112, interpolation='bicubic',
         second_interpolation='lanczos', scale=(0.08, 1.0)),
    dict(type='mmcae.CAEBlockMaskGenerator', input_size=14,
         num_masking_patches=75, min_num_patches=16),
    dict(type='PackInputs', algorithm_keys=['mask']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
