_base_ = ['./dino_vit-base-p16.py']

model = dict(
    type='mmcae.UniSSL',
    backbone=dict(out_type='featmap'),
    feature_channels=768,
    num_points=5,
    pixel_window=80,
    pixel_weight=1.0,
    norm_pix=False,
    symmetric=False)
