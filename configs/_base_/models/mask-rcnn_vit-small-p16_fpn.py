# Mask R-CNN on the official CAE ViT-S (12 heads, Atten4Vis/CAE
# models/modeling_finetune.py line 488); other methods override the arch.
_base_ = './mask-rcnn_vit-base-p16_fpn.py'

embed_dims = 384  # ViT-S

model = dict(
    backbone=dict(
        arch='cae-small',
        drop_path_rate=0.1,
        init_cfg=dict(checkpoint='weights/cae_vit-small-p16_300e.pth')),
    neck=[
        dict(type='mmcae.ViTPyramidNeck', in_channels=embed_dims,
             scales=(4, 2, 1, 0.5),
             norm_cfg=dict(type='SyncBN', requires_grad=True)),
        dict(type='FPN', in_channels=[embed_dims] * 4, out_channels=256,
             num_outs=5),
    ])
