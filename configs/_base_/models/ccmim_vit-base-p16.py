# ccMIM, ViT-B/16 (ICLR 2023 Sec. 3.2, App. C). Where the paper is silent the
# official code decides: MAE's 8-block decoder (the paper says two), the
# patch -> [CLS] attention as importance (Sec. 3.2 prints cls -> patch).
model = dict(
    type='mmcae.CcMIM',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], to_rgb=True),
    backbone=dict(
        type='mmcae.ViT', arch='base', img_size=224, patch_size=16,
        qkv_bias='qkv', layer_scale_init_value=0., pos_embed='sincos',
        out_type='raw'),
    neck=dict(
        type='MAEPretrainDecoder', num_patches=196, patch_size=16,
        in_chans=3, embed_dim=768, decoder_embed_dim=512, decoder_depth=8,
        decoder_num_heads=16, mlp_ratio=4),
    head=dict(
        type='MAEPretrainHead', norm_pix=True, patch_size=16,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    projector=dict(
        type='NonLinearNeck', in_channels=768, hid_channels=768,
        out_channels=256, num_layers=2, with_bias=False, with_last_bn=True,
        with_last_bn_affine=False, with_avg_pool=False,
        norm_cfg=dict(type='SyncBN')),
    align_head=dict(
        type='mmcae.InfoNCEHead', temperature=0.5, intra_negatives=False),
    align_weight=0.2,  # App. C; the official code uses 0.1
    mask_ratio=0.75,
    mask_strategy='importance_sampling',
    attention_direction='patch_to_cls',
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])
