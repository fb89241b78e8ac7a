# The 12-crop DINO on the demo set: the paper config's pipeline at a quarter
# of its sizes (global 56 px, local 24 px, = 224 : 96), the demo encoder.
_base_ = [
    '../_base_/datasets/demo_imagenet_pretrain.py',
    '../_base_/models/vit-tiny-p8_demo.py',
    '../_base_/schedules/demo_adamw.py',
]

embed_dims = 64
head_channels = 1024

# dino_vit-base-p16_8xb128-amp-coslr-300e_12crops_in1k.py's pipeline with
# 56 / 24 px crops: 7 x 7 and 3 x 3 grids of 8-px patches, as 224 / 96 px
# make 14 x 14 and 6 x 6 grids of 16-px patches
flip_and_color_jitter = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                          saturation=0.2, hue=0.1)],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
]
global_crop = dict(type='RandomResizedCrop', scale=56,
                   crop_ratio_range=(0.4, 1.0), interpolation='bicubic',
                   backend='pillow')
local_crop = dict(type='RandomResizedCrop', scale=24,
                  crop_ratio_range=(0.05, 0.4), interpolation='bicubic',
                  backend='pillow')
blur = dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
            magnitude_std='inf')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView',
         num_views=[1, 1, 10],
         transforms=[
             [global_crop, *flip_and_color_jitter, dict(blur, prob=1.0)],
             [global_crop, *flip_and_color_jitter, dict(blur, prob=0.1),
              dict(type='Solarize', thr=128, prob=0.2)],
             [local_crop, *flip_and_color_jitter, dict(blur, prob=0.5)],
         ]),
    dict(type='PackInputs'),
]
train_dataloader = dict(drop_last=True, dataset=dict(pipeline=train_pipeline))

# DINO's ViT (learned positions built for the global crops, one qkv bias,
# no layer scale, drop path 0.1) and a small head, not frozen in the first
# epoch (an epoch of the demo set is one or two steps)
model = dict(
    type='mmcae.DINO',
    backbone=dict(
        img_size=56, qkv_bias='qkv', layer_scale_init_value=0.,
        pos_embed='learned', drop_path_rate=0.1, out_type='cls_token'),
    neck=dict(type='mmcae.DINOProjectionHead', in_channels=embed_dims,
              hidden_channels=256, bottleneck_channels=64,
              out_channels=head_channels, num_layers=3),
    head=dict(type='mmcae.DINOHead', out_channels=head_channels,
              student_temperature=0.1, teacher_temperature=0.04,
              center_momentum=0.9),
    base_momentum=0.004,
    freeze_last_layer_epochs=0)

optim_wrapper = dict(
    optimizer=dict(weight_decay=0.04), clip_grad=dict(max_norm=3.0))
