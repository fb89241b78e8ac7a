# Lambda sweep (Sec. 4.3): lambda 0.6, L_NCE.
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-400e_lambda0.2-nce_in1k.py']

model = dict(align_weight=0.6)
