_base_ = [
    '../_base_/models/mask-rcnn_vit-base-p16_fpn.py',
    '../_base_/datasets/demo_coco_instance.py',
    '../_base_/schedules/vit-det_adamw-layer-decay-amp_1x.py',
    'mmdet::_base_/default_runtime.py',
]

embed_dims, fpn_channels, num_classes = 64, 64, 8
img_size, patch_size = 64, 8

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=embed_dims,
            num_layers=4,
            num_heads=4,
            mlp_hidden_dims=256),
        img_size=img_size,
        patch_size=patch_size,
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        init_cfg=None),
    neck=[
        dict(
            type='mmcae.ViTPyramidNeck',
            in_channels=embed_dims,
            scales=(2, 1, 0.5, 0.25)),
        dict(
            type='FPN',
            in_channels=[embed_dims] * 4,
            out_channels=fpn_channels,
            num_outs=5),
    ],
    rpn_head=dict(in_channels=fpn_channels, feat_channels=fpn_channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=fpn_channels),
        bbox_head=dict(
            in_channels=fpn_channels,
            fc_out_channels=256,
            num_classes=num_classes),
        mask_roi_extractor=dict(out_channels=fpn_channels),
        mask_head=dict(
            in_channels=fpn_channels,
            conv_out_channels=fpn_channels,
            num_classes=num_classes)),
    train_cfg=dict(
        rpn=dict(sampler=dict(num=128)),
        rpn_proposal=dict(nms_pre=500, max_per_img=200),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(
        rpn=dict(nms_pre=300, max_per_img=100),
        rcnn=dict(score_thr=0.01, max_per_img=50)))

train_dataloader = dict(num_workers=1, persistent_workers=True)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader

optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    constructor='mmcae.LayerDecayOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=3e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(layer_decay_rate=0.75))

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[9, 11], gamma=0.1)
]
auto_scale_lr = dict(base_batch_size=4)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(type='CheckpointHook', interval=max_epochs,
                    max_keep_ckpts=1),
    visualization=dict(type='DetVisualizationHook', draw=False))
log_processor = dict(window_size=5)
randomness = dict(seed=0)
