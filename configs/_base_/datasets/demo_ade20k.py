# The demo scenes (mmcae.datasets.demo) as ADE20K for mmseg: the ADE20K
# layout and label space (150 classes; PNG value = ADE20K index + 1, 0 =
# "other", ignored with reduce_zero_label=True), read by mmseg's
# ``ADE20KDataset``. Only the 8 demo categories occur. Generate it first:
#   python tools/misc/make_demo_data.py --out data/demo --size medium
#
# Sizes are chosen for the 'medium' set (320 px scenes): training rescales
# the short side to 160-640 px and crops 256 x 256; testing rescales to
# 320 px short side (at most 640 long). The 'small' set (128 px) works with
# the same pipeline (its images are upscaled).
_base_ = ['./ade20k_512x512.py']

data_root = 'data/demo/ade20k'
crop_size = (256, 256)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcae.LoadSegAnnotations', reduce_zero_label=True),
    dict(
        type='RandomResize',
        scale=(640, 320),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(640, 320), keep_ratio=True),
    # after Resize: the metric uses the original-size label map
    dict(type='mmcae.LoadSegAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]

train_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
# val_evaluator (mIoU) from the base. Classes absent from both the ground
# truth and the predictions get a nan IoU, which IoUMetric leaves out of
# the mean (nanmean): the mean is over the demo categories that occur.
