_base_ = ['./custom_bs64_finetune.py']

data_root = 'data/inat2018'
data_preprocessor = dict(num_classes=8142)
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
