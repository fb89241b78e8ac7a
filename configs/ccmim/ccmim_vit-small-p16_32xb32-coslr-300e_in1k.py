# The ViT-B recipe with a ViT-S encoder; decoder as ViT-B's (official code).
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-300e_in1k.py']

model = dict(
    backbone=dict(arch='small'),  # 6 heads: models_ccmim.py ViT-S
    neck=dict(embed_dim=384),
    projector=dict(in_channels=384, hid_channels=384))
