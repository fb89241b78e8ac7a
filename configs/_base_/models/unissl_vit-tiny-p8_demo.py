# Uni-SSL's algorithm with the demo encoder and a small DINO head; the
# data sets the pixel window (README.md, "On the demo data").
_base_ = ['./vit-tiny-p8_demo.py']

embed_dims = 64
head_channels = 1024

model = dict(
    type='mmcae.UniSSL',
    backbone=dict(out_type='featmap'),
    neck=dict(type='mmcae.DINOProjectionHead', in_channels=embed_dims,
              hidden_channels=256, bottleneck_channels=64,
              out_channels=head_channels, num_layers=3),
    head=dict(type='mmcae.DINOHead', out_channels=head_channels,
              student_temperature=0.1, teacher_temperature=0.04,
              center_momentum=0.9),
    feature_channels=embed_dims,
    num_points=5,
    pixel_window=40,
    pixel_weight=1.0,
    base_momentum=0.004,
    freeze_last_layer_epochs=0)
