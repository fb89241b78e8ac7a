# Cascade Mask R-CNN 1x on COCO, ViT-B/16 from CAE (arXiv recipe, 800
# pretraining epochs).
# CAE arXiv 2022 Table 5 (App. D), CAE ViT-B 800.
#   detector      Cascade Mask R-CNN + FPN, mmdet's heads (RPN, 3 x
#                 Shared2FCBBoxHead, FCNMaskHead)
#   backbone      ViT-B/16 (768-d, 12 blocks, 12 heads), drop path 0.2, block
#                 outputs 3, 5, 7, 11
#   pretrained    weights/cae-arxiv_vit-base-p16_800e.pth, converted from
#                 ./cae-arxiv_vit-base-p16_32xb64-amp-coslr-800e_in1k.py
#                 by tools/model_converters/convert_checkpoint.py
#   data          COCO 2017, multi-scale train: short side 480-800,
#                 long side <= 1333; single-scale test 800 / 1333
#   schedule      1x: 12 epochs, lr x0.1 at epochs 9 and 11, warmup 500 it
#   optimizer     AdamW lr 3e-4, wd 0.05, layer decay 0.75, AMP
#   batch         32 = 8 GPUs x 4 images
#   expected      AP box 52.3, AP mask 45.0
# Train on 8 GPUs (another checkpoint: --cfg-options
# model.backbone.init_cfg.checkpoint=PATH):
#   tools/dist_train.sh configs/cae/<this file> 8
_base_ = [
    '../_base_/models/cascade-mask-rcnn_vit-base-p16_fpn.py',
    '../_base_/datasets/coco_instance_ms.py',
    '../_base_/schedules/vit-det_adamw-layer-decay-amp_1x.py',
    'mmdet::_base_/default_runtime.py',
]

model = dict(
    backbone=dict(
        drop_path_rate=0.2,
        init_cfg=dict(
            checkpoint='weights/cae-arxiv_vit-base-p16_800e.pth')))

# 8 GPUs x 4 images = 32, the papers' batch
train_dataloader = dict(batch_size=4)
