# Fig. 3b: the MAE baseline with mask ratio 0.6.
_base_ = ['./mae_vit-base-p16_8xb128-amp-coslr-100e_in1k.py']

model = dict(backbone=dict(mask_ratio=0.6))
