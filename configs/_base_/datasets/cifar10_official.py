# CIFAR-10 in the official python format (cifar-10-batches-py/ under
# data_root; mmpretrain's CIFAR10), the same settings as cifar10_folder.py:
# the images arrive decoded (RGB), so there is no file to load.
_base_ = ['./cifar10_folder.py']

dataset_type = 'CIFAR10'
load_image = []
to_rgb = False
split_args = dict(train=dict(split='train'), test=dict(split='test'))

data_preprocessor = dict(to_rgb=to_rgb)
train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]
train_dataloader = dict(dataset=dict(
    _delete_=True, type=dataset_type, data_root='data/cifar10',
    pipeline=train_pipeline, **split_args['train']))
val_dataloader = dict(dataset=dict(
    _delete_=True, type=dataset_type, data_root='data/cifar10',
    pipeline=test_pipeline, **split_args['test']))
test_dataloader = val_dataloader
