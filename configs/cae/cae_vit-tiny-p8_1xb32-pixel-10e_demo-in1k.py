# CAE pretraining of a small ViT on the demo ImageNet set (64 px images,
# tools/misc/make_demo_data.py --size small), pixel target (IJCV Table 8's
# "pixel" variant): runs on a CPU in minutes. The paper recipes live in the
# other configs of this folder.
#   python tools/misc/make_demo_data.py --out data/demo --size small
#   python tools/train.py configs/cae/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py
_base_ = [
    '../_base_/datasets/demo_imagenet.py',
    '../_base_/models/cae_vit-base-p16.py',
    'mmpretrain::_base_/default_runtime.py',
]

default_scope = 'mmpretrain'
img_size, patch_size = 64, 8
grid = img_size // patch_size

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.5, 1.),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    # half of the 8x8 patches, in blocks (the IJCV ratio: 98 of 196)
    dict(type='mmcae.CAEBlockMaskGenerator', input_size=grid,
         num_masking_patches=grid * grid // 2, min_num_patches=4),
    dict(type='PackInputs', algorithm_keys=['mask']),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # stacked batches, as mmpretrain's self-supervised preprocessor expects
    collate_fn=dict(type='default_collate'),
    dataset=dict(pipeline=train_pipeline))  # labels are loaded, not used
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = None
test_evaluator = None
test_cfg = None

# the CAE model of the paper configs, shrunk, with the pixel target
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

# the papers' optimizer (AdamW 0.9/0.999, wd 0.05, clip 3.0), lr for batch 32
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1.5e-3 * 32 / 2048 * 8,
                   betas=(0.9, 0.999), weight_decay=0.05),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(
        norm_decay_mult=0.0, bias_decay_mult=0.0,
        custom_keys={'pos_embed': dict(decay_mult=0.),
                     'cls_token': dict(decay_mult=0.),
                     'gamma': dict(decay_mult=0.),
                     'q_bias': dict(decay_mult=0.),
                     'v_bias': dict(decay_mult=0.),
                     'mask_token': dict(decay_mult=0.)}))
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
