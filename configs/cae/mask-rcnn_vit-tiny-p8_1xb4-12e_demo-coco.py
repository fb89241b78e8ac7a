# Mask R-CNN with a tiny ViT on the demo COCO set (mmcae.datasets.demo:
# 8 categories of drawn objects, COCO layout), small enough to train on a
# CPU: the paper pipeline of
# mask-rcnn_cae-vit-base-p16-300e_8xb4-amp-1x_coco.py (ViT -> pyramid neck
# -> FPN -> mmdet's RPN and RoI heads; AdamW with layer-wise lr decay 0.75;
# multi-scale training; 12 epochs with the lr divided by 10 at epochs 9 and
# 11; CocoMetric for bbox and segm) shrunk:
#   backbone   the ViT of the demo CAE pretraining config
#              (cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py): 64-d, 4
#              blocks, 4 heads, 8-px patches, q/v biases, layer scale 0.1,
#              sin-cos positions; every block's output (0, 1, 2, 3)
#   neck       8-px patches give stride 8, so the pyramid scales are 2, 1,
#              0.5, 0.25 (strides 4, 8, 16, 32; one deconvolution, no norm
#              layer: nothing needs batch statistics or SyncBN), FPN 64-d
#   heads      fewer proposals and samples, 256-d box fcs, 8 classes
#   data       short side 192-256 (long <= 427) for training, 224 at test
#   optimizer  OptimWrapper (no AMP on a CPU), AdamW lr 3e-4, batch 4
# Generate the data and train (48 iterations, a minute or two on 2 CPU
# cores with the 'small' set; 'medium' has 1200 training images):
#   python tools/misc/make_demo_data.py --out data/demo --size small
#   python tools/train.py \
#       configs/cae/mask-rcnn_vit-tiny-p8_1xb4-12e_demo-coco.py
# From a pretrained demo encoder: mask-rcnn_cae-demo-vit-tiny-p8_1xb4-12e_
# demo-coco.py.
# tools/benchmark/dense_det_demo.py compares a pretrained and a random
# encoder on the 'medium' set.
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
        # the pretraining size: the demo encoder's 8 x 8 position table is
        # loaded unchanged and resized to each batch's grid in forward
        img_size=img_size,
        patch_size=patch_size,
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        # random init; the benchmark and users set a checkpoint
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
        # a low threshold: a model trained for minutes scores low, and
        # CocoMetric needs detections to compute APs
        rcnn=dict(score_thr=0.01, max_per_img=50)))

# [(427, 192), (427, 224), (427, 256)]
train_scales = [(427, short_side) for short_side in range(192, 257, 32)]
backend_args = None
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize', scales=train_scales, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(427, 224), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=1,
    persistent_workers=True,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline))
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
    dict(
        type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=20),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[9, 11],
        gamma=0.1)
]
auto_scale_lr = dict(base_batch_size=4)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=5),
    checkpoint=dict(type='CheckpointHook', interval=max_epochs,
                    max_keep_ckpts=1),
    visualization=dict(type='DetVisualizationHook', draw=False))
log_processor = dict(window_size=5)
randomness = dict(seed=0)
