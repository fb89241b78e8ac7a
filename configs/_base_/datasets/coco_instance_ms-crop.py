# COCO 2017 instance segmentation with the training augmentation of the
# OFFICIAL CAE detection scripts (github.com/lxtGH/CAE,
# vit_*_giou_4conv1f_coco_maskrcnn_1x_cae_*.py; "augmentation strategy
# originates from DETR / Sparse RCNN", as in mmdet's Swin Mask R-CNN
# configs): flip, then with probability 1/2 either
#   - the papers' multi-scale resize (short side 480, 512, ..., 800, long
#     side at most 1333), or
#   - a resize to short side 400 / 500 / 600, a random crop of 384-600 px
#     per side, and the same multi-scale resize.
# The papers themselves state only the multi-scale resize
# (coco_instance_ms.py, the default of the paper configs).
_base_ = ['./coco_instance_ms.py']

crop_scales = [(1333, short_side) for short_side in (400, 500, 600)]

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='RandomChoice',
        transforms=[
            [
                dict(
                    type='RandomChoiceResize',
                    scales={{_base_.train_scales}},
                    keep_ratio=True)
            ],
            [
                dict(
                    type='RandomChoiceResize',
                    scales=crop_scales,
                    keep_ratio=True),
                dict(
                    type='RandomCrop',
                    crop_type='absolute_range',
                    crop_size=(384, 600),
                    allow_negative_crop=True),
                dict(
                    type='RandomChoiceResize',
                    scales={{_base_.train_scales}},
                    keep_ratio=True)
            ],
        ]),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
