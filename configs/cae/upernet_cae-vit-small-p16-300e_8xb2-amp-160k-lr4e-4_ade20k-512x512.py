# UperNet on ADE20K with a CAE-pretrained ViT-S/16 (300 epochs:
# cae_vit-small-p16_32xb64-amp-coslr-300e_in1k.py), lr 4e-4.
# Paper: none. Neither CAE paper reports ADE20K for ViT-S (IJCV "Training
# Details" give segmentation settings for ViT-B and ViT-L only; ViT-S is
# evaluated on ImageNet and COCO). This config applies the ViT-B recipe at
# ViT-S size for completeness of the ViT-S/B/L family; no expected number.
#   model         ViT-S/16 (12 blocks, 384-d, 6 heads), block outputs 3, 5,
#                 7, 11, neck and heads 384 channels
#   optimizer     AdamW lr 4e-4, wd 0.05, layer decay 0.65, drop path 0.1
#   pretrained    weights/cae_vit-small-p16_300e.pth (converted; or
#                 --cfg-options model.backbone.init_cfg.checkpoint=PATH)
_base_ = ['./upernet_cae-vit-base-p16-300e_8xb2-amp-160k-lr4e-4'
          '_ade20k-512x512.py']

embed_dims = 384

model = dict(
    backbone=dict(
        arch='small',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-small-p16_300e.pth')),
    neck=dict(in_channels=embed_dims),
    decode_head=dict(in_channels=[embed_dims] * 4, channels=embed_dims),
    auxiliary_head=dict(in_channels=embed_dims))
