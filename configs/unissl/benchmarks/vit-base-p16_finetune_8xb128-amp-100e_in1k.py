# Uni-SSL's fine-tuning (Sec. 3: lr 1e-4 x 1024 / 256, batch 1024) on CAE's
# recipe, started as MAE's main_finetune.py with its models_vit.py.
_base_ = ['../../cae/benchmarks/vit-base-p16_finetune_32xb128-amp-100e'
          '_in1k.py']

# MAE's encoder (one qkv bias, no layer scale, no relative position bias)
# with MAE's start: the position table is loaded from the checkpoint and
# trained (models_vit.py keeps timm's learned pos_embed; main_finetune.py
# line 245 copies the pretrained one into it), and the pooled-feature norm
# fc_norm starts at identity while the file's final norm is dropped
# (models_vit.py global_pool deletes norm; main_finetune.py lines 251-252
# expect fc_norm missing from the file).
model = dict(backbone=dict(
    qkv_bias='qkv', layer_scale_init_value=0., use_rel_pos_bias=False,
    pos_embed='learned', out_type='avg_featmap',
    init_cfg=dict(checkpoint='weights/unissl_vit-base-p16_100e.pth',
                  norm_to_fc_norm=False)))

train_dataloader = dict(batch_size=128)
optim_wrapper = dict(optimizer=dict(lr=1e-4 * 1024 / 256))
auto_scale_lr = dict(base_batch_size=1024)
