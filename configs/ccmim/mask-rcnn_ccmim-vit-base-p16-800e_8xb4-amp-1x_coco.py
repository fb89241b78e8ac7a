# The 300-epoch encoder's detection recipe with the 800-epoch encoder.
_base_ = ['./mask-rcnn_ccmim-vit-base-p16-300e_8xb4-amp-1x_coco.py']

model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint='weights/ccmim_vit-base-p16_800e.pth')))
