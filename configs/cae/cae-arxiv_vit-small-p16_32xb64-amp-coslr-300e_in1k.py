# CAE ViT-S/16 as the official cae_small_patch16_224_8k_vocab: 12 heads of 32
# channels (models/modeling_cae.py line 202), regressor / decoder 12 heads too.
_base_ = './cae-arxiv_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(
    backbone=dict(arch='cae-small'),
    neck=dict(embed_dims=384, num_heads=12))
