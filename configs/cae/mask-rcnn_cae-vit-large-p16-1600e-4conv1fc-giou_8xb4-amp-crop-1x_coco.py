_base_ = ['./mask-rcnn_cae-vit-base-p16-300e-4conv1fc-giou_8xb4-amp-crop-1x'
          '_coco.py']

embed_dims = 1024  # ViT-L
model = dict(
    backbone=dict(
        arch='large', layer_scale_init_value=1e-5,
        out_indices=(7, 11, 15, 23),
        init_cfg=dict(checkpoint='weights/cae_vit-large-p16_1600e.pth')),
    neck=[
        dict(type='mmcae.ViTPyramidNeck', in_channels=embed_dims,
             scales=(4, 2, 1, 0.5),
             norm_cfg=dict(type='SyncBN', requires_grad=True)),
        dict(type='FPN', in_channels=[embed_dims] * 4, out_channels=256,
             num_outs=5),
    ])
# the official ViT-L script's layer decay (the IJCV text: 0.8)
optim_wrapper = dict(
    optimizer=dict(lr=2e-4), paramwise_cfg=dict(layer_decay_rate=0.85))
