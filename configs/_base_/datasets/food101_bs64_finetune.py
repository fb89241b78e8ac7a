# Food-101 (Bossard et al. 2014; 101 classes, 75,750 training and 25,250
# test images) for end-to-end fine-tuning, read by mmpretrain's ``Food101``
# dataset: the pipelines of the ImageNet fine-tuning base (random resized
# crop 224 + flip + RandAugment + random erasing 0.25; test: short side
# 256, central 224 crop), ImageNet mean / std. Food-101 has no validation
# split: validation and test both run on the official test split.
#
# Layout expected under data_root (the official archive unpacked:
# https://data.vision.ee.ethz.ch/cvl/datasets_extra/food-101/):
#   images/CLASS/ID.jpg, meta/train.txt, meta/test.txt (lines "CLASS/ID")
_base_ = ['./imagenet_bs64_finetune.py']

dataset_type = 'Food101'
data_root = 'data/food-101'

data_preprocessor = dict(num_classes=101)

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='train'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = val_dataloader
