# Lambda sweep (Sec. 4.3): lambda 1.0, L_align.
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-400e_lambda0.2-align_in1k.py']

model = dict(align_weight=1.0)
