# UperNet on ADE20K with a ViT-B/16 pretrained by the arXiv CAE recipe
# (300 epochs, 75 of 196 patches masked, no drop path:
# cae-arxiv_vit-base-p16_32xb64-amp-coslr-300e_in1k.py), lr 3e-4.
# Paper: CAE arXiv 2022, Table 3 (ADE20K, ViT-B), row "CAE, 300 epochs":
# 47.7 mIoU, the better of the two learning rates searched (3e-4,
# 4e-4; App. A: AdamW, batch 16, layer decay 0.65, 512 x 512, 160k steps,
# no multi-scale testing).
# The same fine-tuning of the ablation checkpoints gives the "ADE" column
# of arXiv Table 2 (no decoder, no alignment: 46.2; decoder, no alignment:
# 46.4; both: 47.7 = this row), e.g. --cfg-options
#   model.backbone.init_cfg.checkpoint=PATH_TO_CONVERTED_ABLATION
#
# The ViT-B recipe of
#   upernet_cae-vit-base-p16-300e_8xb2-amp-160k-lr4e-4_ade20k-512x512
# (drop path 0.1 as in the official CAE segmentation configs; the arXiv
# paper does not state it) with another checkpoint and lr:
#   pretrained    weights/cae-arxiv_vit-base-p16_300e.pth (converted; or
#                 --cfg-options model.backbone.init_cfg.checkpoint=PATH)
#   lr            3e-4, layer decay 0.65, batch 16, 160k iters
_base_ = ['./upernet_cae-vit-base-p16-300e_8xb2-amp-160k-lr4e-4'
          '_ade20k-512x512.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae-arxiv_vit-base-p16_300e.pth')))

optim_wrapper = dict(optimizer=dict(lr=3e-4))
