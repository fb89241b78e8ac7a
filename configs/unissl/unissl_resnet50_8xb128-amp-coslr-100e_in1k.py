# The ViT recipe with a ResNet-50 encoder, its last stage as the dense map
# (no paper number).
_base_ = ['./unissl_vit-base-p16_8xb128-amp-coslr-100e_in1k.py']

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        out_indices=(3, ),
        norm_cfg=dict(type='SyncBN'),
        zero_init_residual=True),
    neck=dict(in_channels=2048),
    feature_channels=2048)
