# Semantic FPN (ccMIM Table 3's ADE20K system) on the UperNet configs' ViT.
_base_ = 'mmseg::_base_/models/fpn_r50.py'

embed_dims = 768  # ViT-B

model = dict(
    data_preprocessor=dict(size=(512, 512)),
    pretrained=None,
    backbone=dict(
        _delete_=True,
        type='mmcae.ViT', arch='base', img_size=(512, 512), patch_size=16,
        qkv_bias='qv', layer_scale_init_value=0.1, pos_embed='sincos',
        use_rel_pos_bias=True, out_indices=(3, 5, 7, 11),
        out_type='featmap', final_norm=False, drop_path_rate=0.1,
        with_cp=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-base-p16_800e.pth')),
    neck=[
        dict(type='mmcae.ViTPyramidNeck', in_channels=embed_dims,
             scales=(4, 2, 1, 0.5),
             norm_cfg=dict(type='SyncBN', requires_grad=True)),
        dict(type='FPN', in_channels=[embed_dims] * 4, out_channels=256,
             num_outs=4),
    ],
    decode_head=dict(num_classes=150),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
