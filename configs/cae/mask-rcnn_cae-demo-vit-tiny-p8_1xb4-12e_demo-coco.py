_base_ = ['./mask-rcnn_vit-tiny-p8_1xb4-12e_demo-coco.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint='weights/cae_vit-tiny-p8_demo.pth')))
