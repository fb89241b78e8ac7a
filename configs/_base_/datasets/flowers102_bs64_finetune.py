# Oxford Flowers-102 (mmpretrain's Flowers102): jpg/, imagelabels.mat,
# setid.mat under data_root. Download: docs/datasets.md#flowers-102
_base_ = ['./imagenet_bs64_finetune.py']

dataset_type = 'Flowers102'
data_root = 'data/flowers102'

data_preprocessor = dict(num_classes=102)

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='trainval'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = val_dataloader
