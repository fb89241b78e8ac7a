# The demo ImageNet set at 64 px for the demo evaluation configs
# (configs/cae/benchmarks/vit-tiny-p8_*_demo-in1k.py), the input size of
# the demo CAE pretraining: random resized 64 px crops + flip; test: short
# side 73 (= 64 / 0.875), central 64 crop; batch 64, no worker processes
# (CPU demo), top-1 only (top-5 of 8 classes says nothing). Works on both
# the 'small' (64 px) and the 'medium' (224 px) demo sets.
_base_ = ['./demo_imagenet.py']

img_size = 64

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=img_size, backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=73, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=img_size),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    drop_last=True,
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator
