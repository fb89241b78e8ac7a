# The demo scenes (tools/misc/make_demo_data.py) in the COCO layout.
# docs/datasets.md#demo-data
_base_ = ['./coco_instance_ms.py']

data_root = 'data/demo/coco/'
backend_args = None

metainfo = dict(
    classes=('ball', 'box', 'tent', 'flag', 'clock', 'plate', 'signboard',
             'flower'),
    palette=[(255, 0, 0), (255, 191, 0), (128, 255, 0), (0, 255, 64),
             (0, 255, 255), (0, 64, 255), (128, 0, 255), (255, 0, 191)])

train_scales = [(427, short_side) for short_side in range(192, 257, 32)]

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
    dataset=dict(
        data_root=data_root,
        metainfo=metainfo,
        filter_cfg=dict(filter_empty_gt=True, min_size=8),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root, metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root +
                     'annotations/instances_val2017.json')
test_evaluator = val_evaluator
