# CAE's fine-tuning recipe with MAE's encoder and hyper-parameters (ccMIM
# Sec. 4.1): lr 1e-3, batch 1024, the average patch embedding.
_base_ = ['../../cae/benchmarks/vit-base-p16_finetune_32xb128-amp-100e'
          '_in1k.py']

# MAE's fine-tuning start (main_finetune.py, models_vit.py global_pool): the
# checkpoint's position table as a trainable one, fc_norm new (identity)
model = dict(backbone=dict(
    qkv_bias='qkv', layer_scale_init_value=0., use_rel_pos_bias=False,
    out_type='avg_featmap', pos_embed='learned',
    init_cfg=dict(checkpoint='weights/ccmim_vit-base-p16_800e.pth',
                  norm_to_fc_norm=False)))

train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
auto_scale_lr = dict(base_batch_size=1024)
