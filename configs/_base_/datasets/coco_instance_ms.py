# COCO 2017 instance segmentation (boxes + masks) for mmdet, with the
# multi-scale training of the BEiT / CAE / MAE Mask R-CNN recipes: the short
# side drawn from 480, 512, ..., 800 and the long side at most 1333.
#
# Layout expected under data_root (as released):
#   train2017/*.jpg, val2017/*.jpg, annotations/instances_{train,val}2017.json
dataset_type = 'CocoDataset'
data_root = 'data/coco/'
backend_args = None

# [(1333, 480), (1333, 512), ..., (1333, 800)]: 11 scales
train_scales = [(1333, short_side) for short_side in range(480, 801, 32)]

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize', scales=train_scales, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    # annotations after Resize: the metric reads the original-size ones
    # from ann_file; these are for visualization only
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]

# 2 images per GPU x 16 GPUs = 32, the batch of the BEiT / CAE Mask R-CNN
# recipes; on a different number of GPUs change batch_size to keep 32 (or
# scale the learning rate).
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # batches images of the same orientation (landscape / portrait)
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args=backend_args),
)

val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args),
)
val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/instances_val2017.json',
    metric=['bbox', 'segm'],
    format_only=False,
    backend_args=backend_args)

test_dataloader = val_dataloader
test_evaluator = val_evaluator
