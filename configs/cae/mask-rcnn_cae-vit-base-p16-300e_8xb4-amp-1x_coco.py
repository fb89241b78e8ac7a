_base_ = [
    '../_base_/models/mask-rcnn_vit-base-p16_fpn.py',
    '../_base_/datasets/coco_instance_ms.py',
    '../_base_/schedules/vit-det_adamw-layer-decay-amp_1x.py',
    'mmdet::_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=4)
