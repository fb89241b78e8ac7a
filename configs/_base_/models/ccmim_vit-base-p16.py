# ccMIM ViT-B/16 (Sec. 3.2, App. C); the official code (ccMIM fdc9096) where
# the paper is silent: 8-block decoder, projector, init (ccmim/README.md).
model = dict(
    type='mmcae.CcMIM',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], to_rgb=True),
    backbone=dict(
        type='mmcae.ViT', arch='base', img_size=224, patch_size=16,
        qkv_bias='qkv', layer_scale_init_value=0., pos_embed='sincos',
        out_type='raw', init_scheme='mae'),
    neck=dict(
        type='MAEPretrainDecoder', num_patches=196, patch_size=16,
        in_chans=3, embed_dim=768, decoder_embed_dim=512, decoder_depth=8,
        decoder_num_heads=16, mlp_ratio=4,
        init_cfg=[
            dict(type='Xavier', layer='Linear', distribution='uniform'),
            dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
        ]),
    head=dict(
        type='MAEPretrainHead', norm_pix=True, patch_size=16,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    # models_ccmim.py: Linear-BN-ReLU-Linear-BN(affine=False), plain
    # per-GPU BatchNorm1d
    projector=dict(
        type='NonLinearNeck', in_channels=768, hid_channels=768,
        out_channels=256, num_layers=2, with_bias=False, with_last_bn=True,
        with_last_bn_affine=False, with_avg_pool=False,
        norm_cfg=dict(type='BN1d'),
        init_cfg=[
            dict(type='Xavier', layer='Linear', distribution='uniform'),
            dict(type='Constant', layer='_BatchNorm', val=1.0, bias=0.0)
        ]),
    align_head=dict(
        type='mmcae.InfoNCEHead', temperature=0.5, intra_negatives=False),
    align_weight=0.2,  # App. C; the official code uses 0.1 since 265273e
    mask_ratio=0.75,
    mask_strategy='importance_sampling',
    attention_direction='cls_to_patch')
