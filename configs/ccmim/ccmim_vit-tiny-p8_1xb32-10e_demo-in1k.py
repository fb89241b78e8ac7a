# ccMIM pretraining of a tiny ViT on the demo ImageNet set: runs on a CPU
# in minutes. The paper recipes are the other ccmim_vit-*_in1k.py configs
# of this folder; this one keeps their algorithm (importance-sampling
# division from the [CLS] attention, 75 % masked, InfoNCE visible -> masked
# through the projector, MAE pixel decoder, lambda 0.2) and shrinks the
# model and the schedule.
#   python tools/misc/make_demo_data.py --out data/demo --size medium
#   python tools/train.py \
#       configs/ccmim/ccmim_vit-tiny-p8_1xb32-10e_demo-in1k.py
# The encoder is the one of the CAE demo (64-d, 4 blocks, 4 heads, 8-px
# patches, 64-px crops; BEiT-style q/v biases and layer scale 0.1) so that
# the demo probe configs of configs/cae/benchmarks/ load either encoder and
# the two algorithms compare on the same network
# (tools/benchmark/ccmim_demo.py).
_base_ = [
    '../_base_/datasets/demo_imagenet.py',
    'mmpretrain::_base_/default_runtime.py',
]

default_scope = 'mmpretrain'
img_size, patch_size = 64, 8
grid = img_size // patch_size
embed_dims = 64

# ccMIM's augmentation: RandomResizedCrop + flip only (Sec. C)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.2, 1.),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
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
    type='mmcae.CcMIM',
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
        out_type='raw'),
    neck=dict(
        type='MAEPretrainDecoder',
        num_patches=grid * grid,
        patch_size=patch_size,
        in_chans=3,
        embed_dim=embed_dims,
        decoder_embed_dim=64,
        decoder_depth=2,
        decoder_num_heads=4,
        mlp_ratio=4),
    head=dict(
        type='MAEPretrainHead',
        norm_pix=True,
        patch_size=patch_size,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    projector=dict(
        type='NonLinearNeck',
        in_channels=embed_dims,
        hid_channels=embed_dims,
        out_channels=64,
        num_layers=2,
        with_bias=False,
        with_last_bn=True,
        with_last_bn_affine=False,
        with_avg_pool=False,
        norm_cfg=dict(type='BN1d')),
    # InfoNCE visible -> masked, negatives = the other images' masked sets
    # (the official code's form; intra_negatives=True adds Eq. 7's
    # visible-visible terms)
    align_head=dict(type='mmcae.InfoNCEHead', temperature=0.5),
    align_weight=0.2,
    mask_ratio=0.75,
    mask_strategy='importance_sampling',
    # importance = the patches' attention to [CLS] (official code); the
    # formula printed in the paper, [CLS]'s attention to the patches, is
    # 'cls_to_patch' (see mmcae/models/selfsup/ccmim.py for why not)
    attention_direction='patch_to_cls',
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])

# ccMIM's optimizer (AdamW, betas 0.9 / 0.95, wd 0.05), lr sized for the
# demo (the paper's 1.5e-4 per 256 images is for 300-800 epochs)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.95),
                   weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.0, bias_decay_mult=0.0,
        custom_keys={'pos_embed': dict(decay_mult=0.),
                     'cls_token': dict(decay_mult=0.),
                     'mask_token': dict(decay_mult=0.),
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
