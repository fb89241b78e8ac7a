# ccMIM ViT-S/16, 300 epochs: the encoder of Table 2's ViT-S row (Mask
# R-CNN 1x: "+0.2 AP^b / +0.3 AP^m over CAE"). The ViT-B recipe with a
# ViT-S encoder (384-d, 12 blocks, 6 heads); decoder and projector as
# ViT-B's (512-d decoder as the official code's ViT-S; projector 384 ->
# 384 -> 256).
_base_ = ['./ccmim_vit-base-p16_32xb32-amp-coslr-300e_in1k.py']

model = dict(
    backbone=dict(arch='small'),
    neck=dict(embed_dim=384),
    projector=dict(in_channels=384, hid_channels=384))
