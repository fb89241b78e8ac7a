# Mask R-CNN with a ViT-B/16 backbone and the box head of the OFFICIAL CAE
# detection code (github.com/lxtGH/CAE, downstream_tasks/detection,
# vit_{base,large}_giou_4conv1f_coco_maskrcnn_1x_cae_*.py; the same head as
# the Swin / iBOT Mask R-CNN configs it derives from): four 3x3 convolutions
# with SyncBN and one fc shared by classification and regression
# (mmdet's Shared4Conv1FCBBoxHead), regressing decoded boxes with a GIoU loss
# of weight 10 (reg_decoded_bbox=True; GIoU needs boxes, not deltas).
#
# The papers only say "The Mask R-CNN implementation follows MMDetection";
# the released code uses this head, so it is the choice for reproducing the
# numbers with the official recipe. The default (mask-rcnn_vit-base-p16_fpn.py)
# keeps mmdet's Shared2FCBBoxHead with an L1 loss.
_base_ = './mask-rcnn_vit-base-p16_fpn.py'

model = dict(
    roi_head=dict(
        bbox_head=dict(
            _delete_=True,
            type='Shared4Conv1FCBBoxHead',
            in_channels=256,
            conv_out_channels=256,
            fc_out_channels=1024,
            roi_feat_size=7,
            num_classes=80,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            reg_decoded_bbox=True,
            norm_cfg=dict(type='SyncBN', requires_grad=True),
            loss_cls=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='GIoULoss', loss_weight=10.0))))
