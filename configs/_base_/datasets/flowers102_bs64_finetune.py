# Oxford Flowers-102 (Nilsback & Zisserman 2008; 102 classes) for
# end-to-end fine-tuning, read by mmpretrain's ``Flowers102`` dataset:
# training on the official train + val splits ('trainval', 2,040 images),
# validation and test on the official test split (6,149 images), the
# transfer protocol of DeiT / iBOT / MAE. Pipelines of the ImageNet
# fine-tuning base (random resized crop 224 + flip + RandAugment + random
# erasing 0.25; test: short side 256, central 224 crop), ImageNet mean /
# std.
#
# Layout expected under data_root (the official files unpacked:
# https://www.robots.ox.ac.uk/~vgg/data/flowers/102/):
#   jpg/image_00001.jpg ..., imagelabels.mat, setid.mat
_base_ = ['./imagenet_bs64_finetune.py']

dataset_type = 'Flowers102'
data_root = 'data/flowers102'

data_preprocessor = dict(num_classes=102)

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='trainval'))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = val_dataloader
