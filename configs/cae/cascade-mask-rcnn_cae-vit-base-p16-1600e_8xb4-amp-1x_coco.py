_base_ = ['./cascade-mask-rcnn_cae-arxiv-vit-base-p16-300e_8xb4-amp-1x'
          '_coco.py']

model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint='weights/cae_vit-base-p16_1600e.pth')))
