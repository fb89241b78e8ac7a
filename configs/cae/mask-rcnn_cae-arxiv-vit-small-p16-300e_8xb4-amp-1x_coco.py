_base_ = ['./mask-rcnn_cae-vit-small-p16-300e_8xb4-amp-1x_coco.py']

model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint='weights/cae-arxiv_vit-small-p16_300e.pth')))
