# CAE ViT-B/16, 300 epochs on ImageNet-1k: the recipe of the IJCV paper
# (Chen et al., "Context Autoencoder for Self-Supervised Representation
# Learning", IJCV 2023), "CAE*" rows of Table 1 (LIN / ATT / FT), Table 2
# (ADE20K) and Table 3 (COCO), the DALL-E target. It is also the default
# row of the IJCV ablations (Tables 5, 7, 8 and the regressor/decoder depth
# and lambda studies in Sec. 5): the cae_*_ablation-* configs change one
# setting of this one. (The IJCV text does not state the ablations'
# length; 300 epochs as in arXiv Table 2, and the ablations' default-row
# linear probing, 64.1, is the 300-epoch model's.)
#   arch          ViT-B/16 encoder; regressor 4 + decoder 4 blocks, 768-d
#   epochs        300, warmup 10, cosine to 1e-5
#   masking       98 of 196 patches (50 %), block-wise
#   target        DALL-E tokens (8192), lambda (align_weight) 2
#   drop path     0.1 (encoder), layer scale 0.1
#   optimizer     AdamW lr 1.5e-3, wd 0.05, betas (0.9, 0.999), clip 3.0
#   batch         2048 = 32 GPUs x 64
_base_ = [
    '../_base_/datasets/imagenet_cae.py',
    '../_base_/models/cae_vit-base-p16.py',
    '../_base_/schedules/cae_adamw_coslr.py',
]
