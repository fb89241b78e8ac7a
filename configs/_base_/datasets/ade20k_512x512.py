# ADE20K (SceneParsing, 150 classes) for mmseg, 512 x 512 crops.
#
# Layout expected under data_root (ADEChallengeData2016 as released):
#   images/{training,validation}/*.jpg, annotations/{training,validation}/*.png
# PNG value 0 is "other": with reduce_zero_label=True it becomes 255 (ignored)
# and the 150 classes become 0..149.
dataset_type = 'ADE20KDataset'
data_root = 'data/ade/ADEChallengeData2016'
crop_size = (512, 512)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcae.LoadSegAnnotations', reduce_zero_label=True),
    # scale (2048, 512) x ratio 0.5-2.0: the short side from 256 to 1024
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    # annotations are loaded after Resize: the metric compares predictions
    # (resized back to the original size) with the original label map
    dict(type='mmcae.LoadSegAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]

# 4 images per GPU x 4 GPUs = 16, the batch of the BEiT / CAE / MAE UperNet
# recipes; on a different number of GPUs change batch_size to keep 16.
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        reduce_zero_label=True,
        data_prefix=dict(
            img_path='images/training', seg_map_path='annotations/training'),
        pipeline=train_pipeline),
)

val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        reduce_zero_label=True,
        data_prefix=dict(
            img_path='images/validation',
            seg_map_path='annotations/validation'),
        pipeline=test_pipeline),
)
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])

test_dataloader = val_dataloader
test_evaluator = val_evaluator
