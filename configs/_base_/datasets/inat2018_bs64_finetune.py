# iNaturalist 2018 (8142 classes) as a CustomDataset: meta/{train,val}.txt
# under data_root, made from the official JSON with the command in
# docs/datasets.md#inaturalist
_base_ = ['./custom_bs64_finetune.py']

data_root = 'data/inat2018'
data_preprocessor = dict(num_classes=8142)
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
