# Food-101 (mmpretrain's Food101): images/CLASS/*.jpg, meta/{train,test}.txt
# under data_root. Download: docs/datasets.md#food-101
_base_ = ['./imagenet_bs64_finetune.py']

dataset_type = 'Food101'
data_root = 'data/food-101'

data_preprocessor = dict(num_classes=101)

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='train'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = val_dataloader
