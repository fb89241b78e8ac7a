# arXiv 2022, Table 2 (ablation, 300 epochs), row "decoder no, align no":
# ATT 70.7, ADE 46.2, COCO 45.6 (full model: 73.7 / 47.7 / 48.0). Without
# the decoder, the regressor's output (+ the masked positions) goes
# through a LayerNorm and the linear head only (mmcae.CAENeck).
#   arch          ViT-B/16; regressor 4 blocks, decoder 0 blocks
#   epochs        300, warmup 10; masking 75 of 196; DALL-E tokens
#   alignment     off (align_weight 0); drop path 0, layer scale 0.1
#   batch         2048 = 32 GPUs x 64, lr 1.5e-3
_base_ = './cae-arxiv_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(neck=dict(decoder_depth=0), align_weight=0.)
