# Uni-SSL pretraining of a tiny ViT on the demo ImageNet set: runs on a CPU
# in minutes. The paper recipe is unissl_vit-base-p16_8xb128-amp-coslr-
# 100e_in1k.py; this one keeps the algorithm (two views overlapping >= 30 %,
# the paper's colour augmentation, K x K = 5 x 5 shared points, DINO head
# and centred loss with temperatures 0.1 / 0.04, EMA teacher, linear pixel
# predictor on a 5 x 5-token window) and shrinks the model, the head and
# the schedule: 64-px views, 8-px patches (an 8 x 8 token map), so the
# paper's S = 80 px = 5 tokens becomes S = 40 px.
#   python tools/misc/make_demo_data.py --out data/demo --size medium
#   python tools/train.py \
#       configs/unissl/unissl_vit-tiny-p8_1xb32-10e_demo-in1k.py
# The encoder is the one of the CAE / ccMIM demos (64-d, 4 blocks, 4 heads,
# BEiT-style q/v biases, layer scale 0.1) so that the demo probe configs of
# configs/cae/benchmarks/ load it (tools/benchmark/unissl_demo.py).
_base_ = [
    '../_base_/datasets/demo_imagenet.py',
    'mmpretrain::_base_/default_runtime.py',
]

default_scope = 'mmpretrain'
img_size, patch_size = 64, 8
embed_dims = 64
head_channels = 1024

view_pipeline = [
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                          saturation=0.4, hue=0.1)],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
         magnitude_std='inf', prob=1.0),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcae.OverlappingTwoViewCrop', size=img_size,
         crop_ratio_range=(0.25, 1.0), min_overlap=0.3, flip_prob=0.5,
         view_pipeline=view_pipeline),
    dict(type='PackInputs', meta_keys=('crop_boxes', 'crop_flips')),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(pipeline=train_pipeline))  # labels are loaded, not used
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

model = dict(
    type='mmcae.UniSSL',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='mmcae.ViT',
        arch=dict(embed_dims=embed_dims, num_layers=4, num_heads=4,
                  mlp_hidden_dims=4 * embed_dims),
        img_size=img_size,
        patch_size=patch_size,
        qkv_bias='qv',
        layer_scale_init_value=0.1,
        pos_embed='sincos',
        out_type='featmap'),
    neck=dict(type='mmcae.DINOProjectionHead', in_channels=embed_dims,
              hidden_channels=256, bottleneck_channels=64,
              out_channels=head_channels, num_layers=3),
    head=dict(type='mmcae.DINOLoss', out_channels=head_channels,
              student_temperature=0.1, teacher_temperature=0.04,
              center_momentum=0.9),
    feature_channels=embed_dims,
    num_points=5,
    pixel_window=40,
    pixel_weight=1.0,
    base_momentum=0.004,
    freeze_last_layer_epochs=0)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999),
                   weight_decay=0.04),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(
        norm_decay_mult=0.0, bias_decay_mult=0.0,
        custom_keys={'pos_embed': dict(decay_mult=0.),
                     'cls_token': dict(decay_mult=0.),
                     'gamma': dict(decay_mult=0.),
                     'q_bias': dict(decay_mult=0.),
                     'v_bias': dict(decay_mult=0.)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=9, eta_min=1e-5, by_epoch=True,
         begin=1, end=10, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=10)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2))
randomness = dict(seed=0)
auto_scale_lr = dict(base_batch_size=32)
