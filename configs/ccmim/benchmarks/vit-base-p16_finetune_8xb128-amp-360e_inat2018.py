# CAE's transfer recipe with ccMIM's MAE-style encoder, lr 3e-4 (Sec. 4.2).
_base_ = ['../../cae/benchmarks/vit-base-p16_finetune'
          '_8xb128-amp-360e_inat2018.py']

model = dict(backbone=dict(
    qkv_bias='qkv', layer_scale_init_value=0., use_rel_pos_bias=False,
    out_type='avg_featmap',
    init_cfg=dict(checkpoint='weights/ccmim_vit-base-p16_800e.pth')))

optim_wrapper = dict(optimizer=dict(lr=3e-4))
