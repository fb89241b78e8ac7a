# IJCV 2023, Table 8 (reconstruction targets: DALL-E tokens, d-VAE tokens
# trained on ImageNet-1k, RGB pixels; ViT-B, the 300-epoch ablation
# schedule), the "pixel" row: the decoder predicts the 16 x 16 x 3 = 768
# pixel values of each masked patch (MSE on per-patch normalized pixels,
# mmcae.CAE's norm_pixel_target default), so no tokenizer and no 112 px
# view: the single 224 px view goes through the same crop. Sec. 5: better
# linear probing and segmentation than the token targets, worse attentive
# probing. The DALL-E row is the default config
# (cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py).
#   arch          ViT-B/16; regressor 4 + decoder 4 blocks, head 768 outputs
#   epochs        300, warmup 10; masking 98 of 196
#   target        pixels; lambda 2; drop path 0.1, layer scale 0.1
#   batch         2048 = 32 GPUs x 64, lr 1.5e-3
_base_ = './cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(
    neck=dict(out_channels=768),
    target_generator=None,
    target='pixels')

# one view: ImageNet mean / std, BGR -> RGB
data_preprocessor = dict(
    _delete_=True,
    type='SelfSupDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomResizedCropAndInterpolationWithTwoPic', size=224,
         interpolation='bicubic', scale=(0.08, 1.0)),
    dict(type='mmcae.CAEBlockMaskGenerator', input_size=14,
         num_masking_patches=98, min_num_patches=16),
    dict(type='PackInputs', algorithm_keys=['mask']),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
