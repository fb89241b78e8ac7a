# CAE without the alignment loss (the papers' key ablation, arXiv Table 6 /
# IJCV Table 5): the regressor's output is no longer tied to the encoder's.
_base_ = './cae_vit-tiny-p4_1xb256-pixel-coslr-5e_cifar10.py'

model = dict(align_weight=0.)
