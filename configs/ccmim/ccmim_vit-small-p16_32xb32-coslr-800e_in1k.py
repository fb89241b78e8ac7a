# The 800-epoch ViT-B recipe with the ViT-S encoder (no paper number).
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-800e_in1k.py']

model = dict(
    backbone=dict(arch='small'),  # 6 heads: models_ccmim.py ViT-S
    neck=dict(embed_dim=384),
    projector=dict(in_channels=384, hid_channels=384))
