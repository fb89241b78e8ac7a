_base_ = './mask-rcnn_vit-base-p16_fpn.py'

embed_dims = 1024  # ViT-L

model = dict(
    backbone=dict(
        arch='large',
        layer_scale_init_value=1e-5,
        out_indices=(7, 11, 15, 23),
        drop_path_rate=0.2,
        init_cfg=dict(checkpoint='weights/cae_vit-large-p16_1600e.pth')),
    neck=[
        dict(type='mmcae.ViTPyramidNeck', in_channels=embed_dims,
             scales=(4, 2, 1, 0.5),
             norm_cfg=dict(type='SyncBN', requires_grad=True)),
        dict(type='FPN', in_channels=[embed_dims] * 4, out_channels=256,
             num_outs=5),
    ])
