# DEVIATION: the 800-epoch recipe in mixed precision (the paper's configs run
# fp32 as the official code's autocast(enabled=False); README.md).
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-800e_in1k.py']

optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
