# mmpretrain's MAE (its own ViT: qkv bias, no layer scale) at the protocol's
# size, data, batch and schedule (configs/benchmarks/README.md).
_base_ = [
    '../_base_/datasets/cifar10_pretrain.py',
    'mmpretrain::_base_/models/mae_vit-base-p16.py',
    '../_base_/schedules/cifar10_pretrain_5e.py',
]

img_size, patch_size = 32, 4
grid = img_size // patch_size

train_pipeline = _base_.load_image + [
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.2, 1.),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor', mean=_base_.data_preprocessor.mean,
        std=_base_.data_preprocessor.std, to_rgb=_base_.to_rgb),
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=64, num_layers=4, num_heads=4,
                  feedforward_channels=256),
        img_size=img_size, patch_size=patch_size, mask_ratio=0.75),
    neck=dict(num_patches=grid * grid, patch_size=patch_size, embed_dim=64,
              decoder_embed_dim=64, decoder_depth=2, decoder_num_heads=4),
    head=dict(patch_size=patch_size))

optim_wrapper = dict(
    optimizer=dict(betas=(0.9, 0.95)),
    paramwise_cfg=dict(custom_keys={'mask_token': dict(decay_mult=0.)}))
