# The ViT-B UperNet recipe on the official CAE ViT-S (12 heads, Atten4Vis/CAE
# models/modeling_finetune.py line 488); neither paper has this row.
_base_ = ['./upernet_cae-vit-base-p16-300e_8xb2-amp-160k-lr3e-4'
          '_ade20k-512x512.py']

embed_dims = 384
model = dict(
    backbone=dict(
        arch='cae-small',
        init_cfg=dict(checkpoint='weights/cae_vit-small-p16_300e.pth')),
    neck=dict(in_channels=embed_dims),
    decode_head=dict(in_channels=[embed_dims] * 4, channels=embed_dims),
    auxiliary_head=dict(in_channels=embed_dims))
optim_wrapper = dict(optimizer=dict(lr=4e-4))
