# ccMIM (official-code defaults: [CLS]-to-patch importance, projector on both
# [CLS]) with the protocol's encoder, data, batch and schedule.
_base_ = [
    '../_base_/datasets/cifar10_pretrain.py',
    '../_base_/models/ccmim_vit-tiny-p8_demo.py',
    '../_base_/schedules/demo_adamw.py',
]

img_size, patch_size = 32, 4
grid = img_size // patch_size
max_epochs = 5

train_pipeline = _base_.load_image + [
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.2, 1.),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

model = dict(
    data_preprocessor=dict(
        mean=_base_.data_preprocessor.mean, std=_base_.data_preprocessor.std,
        to_rgb=_base_.to_rgb),
    backbone=dict(img_size=img_size, patch_size=patch_size),
    neck=dict(num_patches=grid * grid, patch_size=patch_size),
    head=dict(patch_size=patch_size))

# the official weight-decay set (timm's: no decay on 1-d tensors and biases;
# [CLS] and the mask token decay), as the demo config
optim_wrapper = dict(
    optimizer=dict(lr=1.5e-3, betas=(0.9, 0.95)),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(custom_keys=dict(
        _delete_=True,
        pos_embed=dict(decay_mult=0.),
        gamma=dict(decay_mult=0.),
        q_bias=dict(decay_mult=0.),
        v_bias=dict(decay_mult=0.))))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-5,
         by_epoch=True, begin=1, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=1, max_keep_ckpts=1))
auto_scale_lr = dict(base_batch_size=256)
