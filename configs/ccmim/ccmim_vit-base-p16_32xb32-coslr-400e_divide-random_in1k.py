# Table 5 at 400 epochs, random division.
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-400e_lambda0.2-nce_in1k.py']

model = dict(mask_strategy='random')
