# Table 3: K x K = 3 x 3 sampled points per image.
_base_ = ['./unissl_vit-base-p16_8xb128-amp-coslr-100e_in1k.py']

model = dict(num_points=3)
