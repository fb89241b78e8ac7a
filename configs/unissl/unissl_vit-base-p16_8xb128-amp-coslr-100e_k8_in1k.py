# Table 3: K x K = 8 x 8 sampled points per image.
_base_ = ['./unissl_vit-base-p16_8xb128-amp-coslr-100e_in1k.py']

model = dict(num_points=8)
