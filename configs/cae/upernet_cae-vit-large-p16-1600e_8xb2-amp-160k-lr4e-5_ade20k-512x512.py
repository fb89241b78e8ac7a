_base_ = ['./upernet_cae-vit-base-p16-300e_8xb2-amp-160k-lr3e-4'
          '_ade20k-512x512.py']

embed_dims = 1024
model = dict(
    backbone=dict(
        arch='large',
        layer_scale_init_value=1e-5,
        out_indices=(7, 11, 15, 23),
        drop_path_rate=0.15,
        init_cfg=dict(checkpoint='weights/cae_vit-large-p16_1600e.pth')),
    neck=dict(in_channels=embed_dims),
    decode_head=dict(in_channels=[embed_dims] * 4, channels=embed_dims),
    auxiliary_head=dict(in_channels=embed_dims))
optim_wrapper = dict(
    optimizer=dict(lr=4e-5), paramwise_cfg=dict(layer_decay_rate=0.95))
