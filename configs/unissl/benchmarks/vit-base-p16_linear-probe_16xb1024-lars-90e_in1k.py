# Linear probing of a ViT-B/16 pretrained by Uni-SSL, MAE or DINO on
# ImageNet-1k (Uni-SSL Table 2, "Lin. Prob Acc": Uni-SSL 61.3, MAE 55.4,
# DINO 2 crops 68.1, DINO 12 crops 78.2). The paper gives no linear-probe
# recipe; this is MAE's (the protocol of the MAE row): the mean of the
# patch tokens after the final norm, through an identity-initialized,
# frozen LayerNorm, then BatchNorm without affine and a linear layer; LARS,
# 90 epochs, batch 16384.
#   tools/dist_train.sh configs/unissl/benchmarks/<this file> 16 \
#       --cfg-options \
#       model.backbone.init_cfg.checkpoint=weights/unissl_vit-base-p16_100e.pth
_base_ = ['../../cae/benchmarks/vit-base-p16_linear-probe_16xb1024-lars-90e'
          '_in1k.py']

model = dict(
    backbone=dict(
        qkv_bias='qkv',
        layer_scale_init_value=0.,
        out_type='avg_featmap',
        init_cfg=dict(checkpoint='weights/unissl_vit-base-p16_100e.pth')))
