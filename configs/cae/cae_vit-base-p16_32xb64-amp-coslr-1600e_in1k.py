# CAE ViT-B/16, 1600 epochs on ImageNet-1k, IJCV 2023 recipe ("CAE*" 1600
# epochs in Table 1, Table 2 (ADE20K) and Table 3 (COCO)).
#   arch          ViT-B/16; regressor 4 + decoder 4 blocks, 768-d
#   epochs        1600, warmup 40
#   masking       98 of 196 patches; target DALL-E tokens; lambda 2
#   drop path     0.1, layer scale 0.1
#   batch         2048 = 32 GPUs x 64, lr 1.5e-3
_base_ = './cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=40, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=1560, eta_min=1e-5, by_epoch=True,
         begin=40, end=1600, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=1600)
