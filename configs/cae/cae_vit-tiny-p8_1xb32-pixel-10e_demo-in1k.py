# A 4-block ViT on the demo set with the pixel target (IJCV Table 8's
# variant): the CAE recipe shrunk to run on a CPU in minutes.
_base_ = [
    '../_base_/datasets/demo_imagenet_pretrain.py',
    '../_base_/models/cae_vit-base-p16.py',
    '../_base_/schedules/demo_adamw.py',
]

img_size, patch_size = 64, 8
grid = img_size // patch_size

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.5, 1.),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmcae.CAEBlockMaskGenerator', input_size=grid,
         num_masking_patches=grid * grid // 2, min_num_patches=4),
    dict(type='PackInputs', algorithm_keys=['mask']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        arch=dict(
            _delete_=True, embed_dims=64, num_layers=4, num_heads=4,
            mlp_hidden_dims=256),
        img_size=img_size,
        patch_size=patch_size),
    neck=dict(
        embed_dims=64,
        num_heads=4,
        regressor_depth=2,
        decoder_depth=2,
        out_channels=patch_size * patch_size * 3),
    target_generator=None,
    target='pixels')

# the papers' lr for batch 2048, scaled to 32 and raised 8x for the short run
optim_wrapper = dict(
    optimizer=dict(lr=1.5e-3 * 32 / 2048 * 8),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(custom_keys={'mask_token': dict(decay_mult=0.)}))
