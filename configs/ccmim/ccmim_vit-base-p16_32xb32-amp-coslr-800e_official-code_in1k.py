# The 800-epoch recipe as the official code runs it: lambda 0.1, no projector.
_base_ = ['./ccmim_vit-base-p16_32xb32-amp-coslr-800e_in1k.py']

model = dict(align_weight=0.1, projector=None)
