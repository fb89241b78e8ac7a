_base_ = ['./vit-base-p16_finetune_8xb64-amp-100e_clipart.py']

data_root = 'data/cmplaces/sketch'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
