# MAE's linear-probe recipe on the globally pooled patch tokens (the paper
# gives no probe recipe; its classifiers read pooled tokens "by default").
_base_ = ['../../cae/benchmarks/vit-base-p16_linear-probe_16xb1024-lars-90e'
          '_in1k.py']

# MAE's main_linprobe.py probes [CLS] by default (--global_pool off, lines
# 72-75); pooling is Uni-SSL's choice (Sec. 3, "we use the globally pooled
# patch tokens as inputs for the classifier"; its encoder never trains
# [CLS]). Pooled as MAE's --global_pool path (models_vit.py lines 27-32 and
# 46-48): the mean of the last block's patch tokens, without the
# pretrained final norm, through a frozen LayerNorm at scale 1, shift 0.
model = dict(backbone=dict(
    qkv_bias='qkv', layer_scale_init_value=0., out_type='avg_featmap',
    final_norm=False,
    init_cfg=dict(checkpoint='weights/unissl_vit-base-p16_100e.pth')))
