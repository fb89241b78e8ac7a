# ccMIM's algorithm with the demo encoder, a 2-block decoder and the demo
# data: minutes on a CPU (README.md, "On the demo data").
_base_ = [
    '../_base_/datasets/demo_imagenet_pretrain.py',
    '../_base_/models/vit-tiny-p8_demo.py',
    '../_base_/schedules/demo_adamw.py',
]

img_size, patch_size = 64, 8
grid = img_size // patch_size
embed_dims = 64

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, crop_ratio_range=(0.2, 1.),
         backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

xavier = dict(type='Xavier', layer='Linear', distribution='uniform')
model = dict(
    type='mmcae.CcMIM',
    # the official ccMIM (MAE) init in every part, as the paper configs
    backbone=dict(init_scheme='mae'),
    neck=dict(
        type='MAEPretrainDecoder', num_patches=grid * grid,
        patch_size=patch_size, in_chans=3, embed_dim=embed_dims,
        decoder_embed_dim=64, decoder_depth=2, decoder_num_heads=4,
        mlp_ratio=4, init_cfg=[xavier]),
    head=dict(
        type='MAEPretrainHead', norm_pix=True, patch_size=patch_size,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    projector=dict(
        type='NonLinearNeck', in_channels=embed_dims,
        hid_channels=embed_dims, out_channels=64, num_layers=2,
        with_bias=False, with_last_bn=True, with_last_bn_affine=False,
        with_avg_pool=False, norm_cfg=dict(type='BN1d'), init_cfg=[xavier]),
    align_head=dict(type='mmcae.InfoNCEHead', temperature=0.5),
    align_weight=0.2, mask_ratio=0.75, mask_strategy='importance_sampling')

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
