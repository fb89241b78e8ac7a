# CAE ViT-L/16, 1600 epochs on ImageNet-1k, IJCV 2023 recipe (the ViT-L
# "CAE*" rows of Table 1, Table 2 (ADE20K) and Table 3 (COCO); ViT-L: 24
# blocks, 1024-d, 16 heads).
#   arch          ViT-L/16; regressor 4 + decoder 4 blocks, 1024-d / 16 heads
#   epochs        1600, warmup 40
#   masking       98 of 196 patches; target DALL-E tokens; lambda 2
#   drop path     0.1, layer scale 1e-5 (encoder, regressor and decoder)
#   batch         2048 = 32 GPUs x 64, lr 1.5e-3
_base_ = './cae_vit-base-p16_32xb64-amp-coslr-1600e_in1k.py'

model = dict(
    backbone=dict(arch='large', layer_scale_init_value=1e-5),
    neck=dict(embed_dims=1024, num_heads=16, layer_scale_init_value=1e-5))
