# Semantic FPN (Kirillov et al. 2019) with a plain ViT-B/16 backbone: the
# ADE20K system of ccMIM (ICLR 2023 submission, Table 3: "finetune it in
# FPN with batch size 16. For ViT-B, the layer-wise decay rate is 0.65, and
# the drop path rate is 0.1"; every method of that table, CAE included, is
# fine-tuned in this setting):
#
#   mmcae.ViT (block outputs 3, 5, 7, 11; stride 16)
#     -> mmcae.ViTPyramidNeck (strides 4, 8, 16, 32, 768 channels)
#     -> mmseg FPN (256 channels, 4 levels)
#     -> FPNHead (128 channels, no auxiliary head)
#
# mmseg's EncoderDecoder builds a list of necks as one Sequential (mmengine's
# model builder), so the two necks need no glue code. Heads and data
# preprocessor are mmseg's Semantic FPN base (mmseg::_base_/models/
# fpn_r50.py), inherited unchanged; backbone and neck are replaced. The
# backbone is the one of upernet_vit-base-p16.py (see there for the options,
# the pretrained weights and whole-image inference).
_base_ = 'mmseg::_base_/models/fpn_r50.py'

embed_dims = 768  # ViT-B

model = dict(
    data_preprocessor=dict(size=(512, 512)),
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmcae.ViT',
        arch='base',
        img_size=(512, 512),
        patch_size=16,
        qkv_bias='qv',
        layer_scale_init_value=0.1,
        pos_embed='sincos',
        use_rel_pos_bias=True,
        out_indices=(3, 5, 7, 11),
        out_type='featmap',
        final_norm=False,
        drop_path_rate=0.1,
        with_cp=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-base-p16_800e.pth')),
    neck=[
        dict(
            type='mmcae.ViTPyramidNeck',
            in_channels=embed_dims,
            scales=(4, 2, 1, 0.5),
            norm_cfg=dict(type='SyncBN', requires_grad=True)),
        dict(
            type='FPN',
            in_channels=[embed_dims] * 4,
            out_channels=256,
            num_outs=4),
    ],
    decode_head=dict(num_classes=150),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
