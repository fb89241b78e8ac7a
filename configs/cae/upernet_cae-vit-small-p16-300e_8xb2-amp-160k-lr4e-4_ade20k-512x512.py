_base_ = ['./upernet_cae-vit-base-p16-300e_8xb2-amp-160k-lr3e-4'
          '_ade20k-512x512.py']

embed_dims = 384
model = dict(
    backbone=dict(
        arch='small',
        init_cfg=dict(checkpoint='weights/cae_vit-small-p16_300e.pth')),
    neck=dict(in_channels=embed_dims),
    decode_head=dict(in_channels=[embed_dims] * 4, channels=embed_dims),
    auxiliary_head=dict(in_channels=embed_dims))
optim_wrapper = dict(optimizer=dict(lr=4e-4))
