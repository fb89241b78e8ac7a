# CAE ViT-S/16, 300 epochs on ImageNet-1k, IJCV 2023 recipe (the ViT-S rows
# of Table 1; ViT-S: 12 blocks, 384-d, 6 heads).
#   arch          ViT-S/16; regressor 4 + decoder 4 blocks, 384-d / 6 heads
#   epochs        300, warmup 10
#   masking       98 of 196 patches; target DALL-E tokens; lambda 2
#   drop path     0.1, layer scale 0.1
#   batch         2048 = 32 GPUs x 64, lr 1.5e-3
_base_ = './cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(
    backbone=dict(arch='small'),
    neck=dict(embed_dims=384, num_heads=6))
