# The ViT detection system shared by Mask R-CNN and Cascade Mask R-CNN:
# ViT -> mmcae.ViTPyramidNeck (strides 4, 8, 16, 32) -> FPN; mmdet's heads.
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'

embed_dims = 768  # ViT-B

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcae.ViT', arch='base', img_size=224, patch_size=16,
        qkv_bias='qv', layer_scale_init_value=0.1, pos_embed='sincos',
        use_rel_pos_bias=False, out_indices=(3, 5, 7, 11),
        out_type='featmap', final_norm=False, drop_path_rate=0.2,
        with_cp=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-base-p16_300e.pth')),
    neck=[
        dict(type='mmcae.ViTPyramidNeck', in_channels=embed_dims,
             scales=(4, 2, 1, 0.5),
             norm_cfg=dict(type='SyncBN', requires_grad=True)),
        dict(type='FPN', in_channels=[embed_dims] * 4, out_channels=256,
             num_outs=5),
    ])
