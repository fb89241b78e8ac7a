# CAE with the pixel target (no tokenizer weights offline) on CIFAR-10 at
# 32 px: the small-scale protocol's encoder (configs/benchmarks/README.md).
_base_ = [
    '../_base_/datasets/cifar10_pretrain.py',
    '../_base_/models/cae_vit-base-p16.py',
    '../_base_/schedules/cifar10_pretrain_5e.py',
]

img_size, patch_size = 32, 4
grid = img_size // patch_size

train_pipeline = _base_.load_image + [
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
        type='SelfSupDataPreprocessor', mean=_base_.data_preprocessor.mean,
        std=_base_.data_preprocessor.std, to_rgb=_base_.to_rgb),
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=64, num_layers=4, num_heads=4,
                  mlp_hidden_dims=256),
        img_size=img_size, patch_size=patch_size),
    neck=dict(embed_dims=64, num_heads=4, regressor_depth=2, decoder_depth=2,
              out_channels=patch_size * patch_size * 3),
    target_generator=None,
    target='pixels')

optim_wrapper = dict(
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(custom_keys={'mask_token': dict(decay_mult=0.)}))
