# CMPlaces Clipart (205 classes) as a CustomDataset: meta/{train,val}.txt
# under data_root. Layout: docs/datasets.md#cmplaces
_base_ = ['./custom_bs64_finetune.py']

data_root = 'data/cmplaces/clipart'
data_preprocessor = dict(num_classes=205)
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
