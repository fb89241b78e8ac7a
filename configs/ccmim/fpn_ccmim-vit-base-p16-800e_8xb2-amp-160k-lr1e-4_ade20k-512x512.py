# CAE's Semantic FPN recipe with ccMIM's MAE-style encoder; lr 1e-4 (MAE's,
# ccMIM gives none).
_base_ = ['../cae/fpn_cae-vit-base-p16-800e_8xb2-amp-160k-lr2e-4'
          '_ade20k-512x512.py']

model = dict(backbone=dict(
    qkv_bias='qkv', layer_scale_init_value=0.,
    init_cfg=dict(type='Pretrained',
                  checkpoint='weights/ccmim_vit-base-p16_800e.pth')))

optim_wrapper = dict(optimizer=dict(lr=1e-4))
