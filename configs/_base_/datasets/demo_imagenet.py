# The demo scenes (tools/misc/make_demo_data.py) in the ImageNet layout;
# docs/datasets.md#demo-data
_base_ = ['./imagenet_bs64.py']

data_root = 'data/demo/imagenet'

metainfo = dict(
    classes=('ball', 'box', 'tent', 'flag', 'clock', 'plate', 'signboard',
             'flower'))

data_preprocessor = dict(num_classes=8)

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(data_root=data_root, metainfo=metainfo))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(data_root=data_root, metainfo=metainfo))
test_dataloader = val_dataloader
