# IJCV 2023, Table 5 (ablation of decoder and alignment, ViT-B, DALL-E
# target, the 300-epoch ablation schedule), row "decoder, no alignment"
# (the regressor's output is not pulled towards the encoder's latents of
# the masked patches). arXiv 2022 Table 2 has the same row for its recipe:
# cae-arxiv_vit-base-p16_32xb64-amp-coslr-300e_ablation-no-align_in1k.py.
#   arch          ViT-B/16; regressor 4 + decoder 4 blocks
#   epochs        300, warmup 10; masking 98 of 196; DALL-E tokens
#   alignment     off (align_weight 0); drop path 0.1, layer scale 0.1
#   batch         2048 = 32 GPUs x 64, lr 1.5e-3
_base_ = './cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(align_weight=0.)
