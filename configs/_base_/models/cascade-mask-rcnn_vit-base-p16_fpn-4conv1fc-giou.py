# The official CAE box head (mask-rcnn_vit-base-p16_fpn-4conv1fc-giou.py) in
# each cascade stage, class-agnostic, with mmdet's cascade coder stds.
_base_ = './cascade-mask-rcnn_vit-base-p16_fpn.py'


def _giou_stage(target_stds):
    return dict(
        type='Shared4Conv1FCBBoxHead', in_channels=256, conv_out_channels=256,
        fc_out_channels=1024, roi_feat_size=7, num_classes=80,
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
            target_stds=target_stds),
        reg_class_agnostic=True, reg_decoded_bbox=True,
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        loss_cls=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        loss_bbox=dict(type='GIoULoss', loss_weight=10.0))


model = dict(
    roi_head=dict(bbox_head=[
        _giou_stage([0.1, 0.1, 0.2, 0.2]),
        _giou_stage([0.05, 0.05, 0.1, 0.1]),
        _giou_stage([0.033, 0.033, 0.067, 0.067]),
    ]))
