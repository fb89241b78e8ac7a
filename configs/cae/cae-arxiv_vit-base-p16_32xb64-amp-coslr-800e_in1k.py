# CAE ViT-B/16, 800 epochs on ImageNet-1k, arXiv 2022 recipe: Table 1 (CAE
# ViT-B 800 ep: FT 83.6, LIN 68.3, ATT 76.0), Table 3 (ADE20K mIoU 48.8),
# Table 4 (COCO AP box 49.2 / mask 43.3), Table 5 (Cascade: ADE 48.8, COCO
# 52.3 / 45.0). App. A gives a 10-epoch warmup for both 300 and 800 epochs.
#   arch          ViT-B/16; regressor 4 + decoder 4 blocks, 768-d
#   epochs        800, warmup 10
#   masking       75 of 196 patches; target DALL-E tokens; lambda 2
#   drop path     0, layer scale 0.1
#   batch         2048 = 32 GPUs x 64, lr 1.5e-3
_base_ = './cae-arxiv_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=10, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=790, eta_min=1e-5, by_epoch=True,
         begin=10, end=800, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=800)
