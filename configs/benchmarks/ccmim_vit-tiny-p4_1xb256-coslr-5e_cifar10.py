# ccMIM (official-code defaults: [CLS]-to-patch importance, projector on both
# [CLS]) with the protocol's encoder, data, batch and schedule.
_base_ = [
    '../_base_/datasets/cifar10_pretrain.py',
    '../_base_/models/ccmim_vit-tiny-p8_demo.py',
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
        mean=_base_.data_preprocessor.mean, std=_base_.data_preprocessor.std,
        to_rgb=_base_.to_rgb),
    backbone=dict(img_size=img_size, patch_size=patch_size),
    neck=dict(num_patches=grid * grid, patch_size=patch_size),
    head=dict(patch_size=patch_size))

# the official weight-decay set (timm's: no decay on 1-d tensors and biases;
# [CLS] and the mask token decay), as the demo config
optim_wrapper = dict(
    optimizer=dict(betas=(0.9, 0.95)),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(custom_keys=dict(
        _delete_=True,
        pos_embed=dict(decay_mult=0.),
        gamma=dict(decay_mult=0.),
        q_bias=dict(decay_mult=0.),
        v_bias=dict(decay_mult=0.))))
