# CMPlaces Sketch (Castrejon et al. 2016, "Learning Aligned Cross-Modal
# Representations from Weakly Aligned Data"; the 205 scene classes of
# Places-205 as line sketches) for end-to-end fine-tuning. mmpretrain has
# no dataset for it: mmpretrain's ``CustomDataset`` reads annotation files.
# Pipelines of the ImageNet fine-tuning base (random resized crop 224 +
# flip + RandAugment + random erasing 0.25; test: short side 256, central
# 224 crop), ImageNet mean / std.
#
# Layout expected under data_root (write the meta files once from the
# split lists of the CMPlaces download,
# http://projects.csail.mit.edu/cmplaces/download.html):
#   the images, in any folders under data_root
#   meta/train.txt   one training image a line: "PATH LABEL"
#   meta/val.txt     one validation image a line: "PATH LABEL"
# PATH relative to data_root (spaces allowed: the label is the last
# field), LABEL an integer in 0-204 (the Places-205 class order, the same
# in both files), e.g.
#   abbey/0001.jpg 0
# Validation and test both run on meta/val.txt.
_base_ = ['./imagenet_bs64_finetune.py']

dataset_type = 'CustomDataset'
data_root = 'data/cmplaces/sketch'

data_preprocessor = dict(num_classes=205)

# _delete_: the ImageNet base's ``split`` is not an argument of
# CustomDataset
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/train.txt',
        data_prefix='',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='meta/val.txt',
        data_prefix='',
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
