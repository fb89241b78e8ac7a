# mmpretrain's CustomDataset reading meta/{train,val}.txt ("PATH LABEL"
# lines) under data_root, with the ImageNet fine-tuning pipelines.
# Layout: docs/datasets.md#custom-classification-sets
_base_ = ['./imagenet_bs64_finetune.py']

dataset_type = 'CustomDataset'
data_root = 'data/custom'

# _delete_: the ImageNet base's ``split`` is not an argument of CustomDataset
train_dataloader = dict(
    dataset=dict(
        _delete_=True, type=dataset_type, data_root=data_root,
        ann_file='meta/train.txt', data_prefix='',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True, type=dataset_type, data_root=data_root,
        ann_file='meta/val.txt', data_prefix='',
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
