# Uni-SSL's fine-tuning (Sec. 3: lr 1e-4 x 1024 / 256, batch 1024) on CAE's
# recipe with MAE's encoder and the globally pooled patch tokens.
_base_ = ['../../cae/benchmarks/vit-base-p16_finetune_32xb128-amp-100e'
          '_in1k.py']

model = dict(backbone=dict(
    qkv_bias='qkv', layer_scale_init_value=0., use_rel_pos_bias=False,
    out_type='avg_featmap',
    init_cfg=dict(checkpoint='weights/unissl_vit-base-p16_100e.pth')))

train_dataloader = dict(batch_size=128)
optim_wrapper = dict(optimizer=dict(lr=1e-4 * 1024 / 256))
auto_scale_lr = dict(base_batch_size=1024)
