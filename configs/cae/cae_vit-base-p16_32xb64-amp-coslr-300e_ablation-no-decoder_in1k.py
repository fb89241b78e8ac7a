# IJCV 2023, Table 5 (ablation of decoder and alignment, ViT-B, DALL-E
# target, the 300-epoch ablation schedule), row "no decoder": the
# regressor's output (+ the masked positions) goes through a LayerNorm and
# the linear head only ("when the decoder is removed, we use a linear layer
# to predict the targets", Sec. 5).
#   arch          ViT-B/16; regressor 4 blocks, decoder 0 blocks
#   epochs        300, warmup 10; masking 98 of 196; DALL-E tokens
#   alignment     on, lambda 2; drop path 0.1, layer scale 0.1
#   batch         2048 = 32 GPUs x 64, lr 1.5e-3
_base_ = './cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(neck=dict(decoder_depth=0))
