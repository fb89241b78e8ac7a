# CAE's transfer recipe with ccMIM's MAE-style encoder (Sec. 4.2).
_base_ = ['../../cae/benchmarks/vit-base-p16_finetune'
          '_8xb16-amp-300e_flowers102.py']

# MAE's fine-tuning start (main_finetune.py, models_vit.py global_pool): the
# checkpoint's position table as a trainable one, fc_norm new (identity)
model = dict(backbone=dict(
    qkv_bias='qkv', layer_scale_init_value=0., use_rel_pos_bias=False,
    out_type='avg_featmap', pos_embed='learned',
    init_cfg=dict(checkpoint='weights/ccmim_vit-base-p16_800e.pth',
                  norm_to_fc_norm=False)))
