# The LARS probe recipe on the average patch embedding, as ccMIM Sec. 4.1 asks
# (MAE's main_linprobe.py reads [CLS] unless --global_pool; README.md).
_base_ = ['../../cae/benchmarks/vit-base-p16_linear-probe_16xb1024-lars-90e'
          '_in1k.py']

model = dict(backbone=dict(
    qkv_bias='qkv', layer_scale_init_value=0., out_type='avg_featmap',
    init_cfg=dict(checkpoint='weights/ccmim_vit-base-p16_800e.pth')))
