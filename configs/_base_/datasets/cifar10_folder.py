# CIFAR-10 as image folders: train|test/<class>/NNNN.jpg under data_root
# (docs/datasets.md#cifar-10); the protocol configs use load_image / to_rgb,
# so swapping this base for cifar10_official.py switches the layout.
dataset_type = 'CustomDataset'
data_root = 'data/cifar10'
classes = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
           'horse', 'ship', 'truck')
# files decode to BGR
load_image = [dict(type='LoadImageFromFile')]
to_rgb = True
split_args = dict(train=dict(data_prefix='train'),
                  test=dict(data_prefix='test'))

data_preprocessor = dict(
    num_classes=10,
    mean=[125.307, 122.961, 113.8575],
    std=[51.5865, 50.847, 51.255],
    to_rgb=to_rgb)

train_pipeline = load_image + [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = load_image + [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, data_root=data_root, classes=classes,
        pipeline=train_pipeline, **split_args['train']))
val_dataloader = dict(
    batch_size=256,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type, data_root=data_root, classes=classes,
        pipeline=test_pipeline, **split_args['test']))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
