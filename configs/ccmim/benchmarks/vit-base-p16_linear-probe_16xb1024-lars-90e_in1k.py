# Linear probing of a ccMIM ViT-B/16 on ImageNet-1k (ccMIM Table 1, LIN
# column; "+4.5 / +2.1 over MAE" at 300 / 800 epochs, Sec. 4.2; the cells are
# not in our copy of the paper). ccMIM evaluates "the average embedding of
# patches" (Sec. 4.1): the mean of the patch tokens after the final norm,
# through an identity-initialized, frozen LayerNorm (as MAE's linear probing),
# then BatchNorm without affine and a linear layer; LARS, 90 epochs, batch
# 16384 (the CAE / MAE protocol).
#   tools/dist_train.sh configs/ccmim/benchmarks/<this file> 16 \
#       --cfg-options \
#       model.backbone.init_cfg.checkpoint=weights/ccmim_vit-base-p16_300e.pth
_base_ = ['../../cae/benchmarks/vit-base-p16_linear-probe_16xb1024-lars-90e'
          '_in1k.py']

model = dict(
    backbone=dict(
        qkv_bias='qkv',
        layer_scale_init_value=0.,
        out_type='avg_featmap',
        init_cfg=dict(checkpoint='weights/ccmim_vit-base-p16_800e.pth')))
