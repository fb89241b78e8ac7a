# ccMIM's algorithm with the demo encoder, a 2-block decoder and the demo
# data: minutes on a CPU (README.md, "On the demo data").
_base_ = [
    '../_base_/datasets/demo_imagenet_pretrain.py',
    '../_base_/models/ccmim_vit-tiny-p8_demo.py',
    '../_base_/schedules/demo_adamw.py',
]

img_size, patch_size = 64, 8
grid = img_size // patch_size

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.2, 1.),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# the recipe's weight-decay set (timm's: no decay on 1-d tensors and biases;
# [CLS] and the mask token decay)
optim_wrapper = dict(
    optimizer=dict(betas=(0.9, 0.95)),
    paramwise_cfg=dict(custom_keys=dict(
        _delete_=True,
        pos_embed=dict(decay_mult=0.),
        gamma=dict(decay_mult=0.),
        q_bias=dict(decay_mult=0.),
        v_bias=dict(decay_mult=0.))))
