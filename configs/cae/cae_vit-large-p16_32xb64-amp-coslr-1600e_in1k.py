_base_ = './cae_vit-base-p16_32xb64-amp-coslr-1600e_in1k.py'

model = dict(
    backbone=dict(arch='large', layer_scale_init_value=1e-5),
    neck=dict(embed_dims=1024, num_heads=16, layer_scale_init_value=1e-5))
