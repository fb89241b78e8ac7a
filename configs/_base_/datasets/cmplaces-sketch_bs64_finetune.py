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
# Everything but the folder is the Clipart base's.
_base_ = ['./cmplaces-clipart_bs64_finetune.py']

data_root = 'data/cmplaces/sketch'

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
