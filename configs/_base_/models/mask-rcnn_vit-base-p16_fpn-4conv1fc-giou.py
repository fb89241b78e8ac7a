# The box head of the official CAE detection code: SyncBN 4conv1fc head,
# decoded boxes regressed with a GIoU loss of weight 10.
_base_ = './mask-rcnn_vit-base-p16_fpn.py'

model = dict(
    roi_head=dict(
        bbox_head=dict(
            _delete_=True,
            type='Shared4Conv1FCBBoxHead', in_channels=256,
            conv_out_channels=256, fc_out_channels=1024, roi_feat_size=7,
            num_classes=80,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False, reg_decoded_bbox=True,
            norm_cfg=dict(type='SyncBN', requires_grad=True),
            loss_cls=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='GIoULoss', loss_weight=10.0))))
