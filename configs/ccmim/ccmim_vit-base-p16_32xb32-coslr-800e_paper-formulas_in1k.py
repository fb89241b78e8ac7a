# The 800-epoch recipe with Eq. 7 as printed: the visible-visible negatives
# too (the official code has only the masked keys; README.md).
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-800e_in1k.py']

model = dict(align_head=dict(intra_negatives=True))
