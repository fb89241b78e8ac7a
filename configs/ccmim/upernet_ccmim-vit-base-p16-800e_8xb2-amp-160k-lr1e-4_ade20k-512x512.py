# CAE's UperNet recipe with ccMIM's MAE-style encoder and MAE's lr 1e-4 (no
# paper number: ccMIM reports ADE20K with Semantic FPN only).
_base_ = ['../cae/upernet_cae-vit-base-p16-800e_8xb2-amp-160k-lr2e-4'
          '_ade20k-512x512.py']

model = dict(backbone=dict(
    qkv_bias='qkv', layer_scale_init_value=0., drop_path_rate=0.1,
    init_cfg=dict(type='Pretrained',
                  checkpoint='weights/ccmim_vit-base-p16_800e.pth')))

optim_wrapper = dict(
    optimizer=dict(lr=1e-4), paramwise_cfg=dict(layer_decay_rate=0.65))
