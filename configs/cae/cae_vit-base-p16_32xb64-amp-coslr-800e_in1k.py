# CAE ViT-B/16, 800 epochs on ImageNet-1k, IJCV 2023 recipe ("Training
# Details": 300/800/1600 epochs with 10/20/40 warmup epochs; Table 1).
#   arch          ViT-B/16; regressor 4 + decoder 4 blocks, 768-d
#   epochs        800, warmup 20
#   masking       98 of 196 patches; target DALL-E tokens; lambda 2
#   drop path     0.1, layer scale 0.1
#   batch         2048 = 32 GPUs x 64, lr 1.5e-3
_base_ = './cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=780, eta_min=1e-5, by_epoch=True,
         begin=20, end=800, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=800)
