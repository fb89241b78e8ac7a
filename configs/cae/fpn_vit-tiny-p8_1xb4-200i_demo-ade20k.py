_base_ = ['./upernet_vit-tiny-p8_1xb4-200i_demo-ade20k.py']

embed_dims = 64

model = dict(
    neck=[
        dict(type='mmcae.ViTPyramidNeck', in_channels=embed_dims,
             scales=(2, 1, 0.5, 0.25),
             norm_cfg=dict(type='SyncBN', requires_grad=True)),
        dict(type='FPN', in_channels=[embed_dims] * 4,
             out_channels=embed_dims, num_outs=4),
    ],
    decode_head=dict(
        _delete_=True,
        type='FPNHead',
        in_channels=[embed_dims] * 4,
        in_index=[0, 1, 2, 3],
        feature_strides=[4, 8, 16, 32],
        channels=embed_dims // 2,
        dropout_ratio=0.1,
        num_classes={{_base_.num_classes}},
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            avg_non_ignore=True)),
    auxiliary_head=None)
