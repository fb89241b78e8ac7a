# The demo scenes (mmcae.datasets.demo) as COCO instance segmentation for
# mmdet: the COCO layout with 8 categories (compressed-RLE masks), read by
# mmdet's ``CocoDataset``. Generate it first:
#   python tools/misc/make_demo_data.py --out data/demo --size medium
#
# Sizes are chosen for the 'medium' set (320 px scenes): multi-scale training
# with the short side drawn from 256, 288, ..., 384 (long side at most 640),
# testing at short side 320 - the COCO recipe scaled down. The 'small' set
# (128 px) works with the same pipeline (its images are upscaled).
_base_ = ['./coco_instance_ms.py']

data_root = 'data/demo/coco/'
backend_args = None

# The class names in label order (COCO category id - 1).
# tests/test_configs/test_dataset_configs.py checks that ``classes`` equals
# mmcae.datasets.demo.CLASS_NAMES. The palette is each category's base hue
# at full saturation and value (for the visualizer).
metainfo = dict(
    classes=('ball', 'box', 'tent', 'flag', 'clock', 'plate', 'signboard',
             'flower'),
    palette=[(255, 0, 0), (255, 191, 0), (128, 255, 0), (0, 255, 64),
             (0, 255, 255), (0, 64, 255), (128, 0, 255), (255, 0, 191)])

# [(640, 256), (640, 288), ..., (640, 384)]: 5 scales
train_scales = [(640, short_side) for short_side in range(256, 385, 32)]

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize', scales=train_scales, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=(640, 320), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]

train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        # min_size is on the image side (drops images under 8 px), not the
        # boxes; filter_empty_gt drops images without annotations
        filter_cfg=dict(filter_empty_gt=True, min_size=8),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root +
                     'annotations/instances_val2017.json')
test_evaluator = val_evaluator
