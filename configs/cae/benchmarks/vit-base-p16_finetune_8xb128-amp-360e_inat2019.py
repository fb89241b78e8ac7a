_base_ = ['./vit-base-p16_finetune_8xb128-amp-360e_inat2018.py']

data_root = 'data/inat2019'
data_preprocessor = dict(num_classes=1010)
model = dict(head=dict(num_classes=1010))
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
