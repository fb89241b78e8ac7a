_base_ = [
    '../_base_/models/cascade-mask-rcnn_vit-base-p16_fpn.py',
    '../_base_/datasets/coco_instance_ms.py',
    '../_base_/schedules/vit-det_adamw-layer-decay-amp_1x.py',
    'mmdet::_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint='weights/cae-arxiv_vit-base-p16_300e.pth')))
train_dataloader = dict(batch_size=4)
