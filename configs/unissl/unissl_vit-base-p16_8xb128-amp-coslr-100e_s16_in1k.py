# Table 4: 16 x 16-px pixel targets.
_base_ = ['./unissl_vit-base-p16_8xb128-amp-coslr-100e_in1k.py']

model = dict(pixel_window=16)
