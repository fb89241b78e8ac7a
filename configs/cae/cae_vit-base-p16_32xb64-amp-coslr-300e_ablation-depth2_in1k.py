# IJCV 2023, Sec. 5 "#layers in the regressor and decoder" (ViT-B, DALL-E
# target, the 300-epoch ablation schedule): 1 / 2 / 4 / 5 blocks in BOTH
# the regressor and the decoder give linear probing 58.7 / 62.1 / 64.1 /
# 64.2 and attentive probing 67.5 / 71.1 / 73.8 / 73.7; 4 is the default
# config (cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py). This one: 2.
#   arch          ViT-B/16; regressor 2 + decoder 2 blocks
#   epochs        300, warmup 10; masking 98 of 196; DALL-E tokens
#   alignment     lambda 2; drop path 0.1, layer scale 0.1
#   batch         2048 = 32 GPUs x 64, lr 1.5e-3
_base_ = './cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(neck=dict(regressor_depth=2, decoder_depth=2))
