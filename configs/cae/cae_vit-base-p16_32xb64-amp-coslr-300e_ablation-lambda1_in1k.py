# IJCV 2023, Sec. 5 "Loss tradeoff parameter" (ViT-B, DALL-E target, the
# 300-epoch ablation schedule): lambda = 1 / 1.5 / 2 give linear probing
# 63.4 / 63.7 / 64.1; lambda = 2 is the default config
# (cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py). This one: lambda 1.
# (arXiv 2022 App. A also tried lambda 1: "slightly worse than 2".)
#   arch          ViT-B/16; regressor 4 + decoder 4 blocks
#   epochs        300, warmup 10; masking 98 of 196; DALL-E tokens
#   alignment     lambda (align_weight) 1; drop path 0.1, layer scale 0.1
#   batch         2048 = 32 GPUs x 64, lr 1.5e-3
_base_ = './cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(align_weight=1.0)
