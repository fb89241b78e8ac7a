# End-to-end fine-tuning of a pretrained ViT-B/16 (CAE arXiv 2022 / IJCV
# 2023 "Fine-tuning on ImageNet": "we follow the fine-tuning protocol in
# BEiT"): an mmpretrain ImageClassifier with
#   mmcae.ViT with the CAE fine-tuning encoder of the official code: q/v
#     biases, layer scale (the pretrained gammas), the fixed sin-cos
#     position table, a relative position bias per block (zero-initialized:
#     CAE pretrains without one), drop path 0.1, NO final LayerNorm, the
#     mean of the patch tokens through a new LayerNorm (fc_norm)
#   -> a linear classifier (trunc normal std 0.02 x 0.001: BEiT's
#      init_scale), label smoothing 0.1, Mixup 0.8 / CutMix 1.0 (switched
#      per batch, as timm's Mixup with switch_prob 0.5).
# The dataset base adds RandAugment (rand-m9-mstd0.5-inc1) and random
# erasing 0.25; the schedule base AdamW with layer-wise lr decay
# (mmcae.LayerDecayOptimWrapperConstructor).
#
# Checkpoint: --cfg-options model.backbone.init_cfg.checkpoint=PATH (see
# vit-base-p16_linear-probe.py).
embed_dims = 768

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmcae.ViT',
        arch='base',
        img_size=224,
        patch_size=16,
        qkv_bias='qv',
        layer_scale_init_value=0.1,
        pos_embed='sincos',
        use_rel_pos_bias=True,
        out_type='avg_featmap',
        final_norm=False,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-base-p16_300e.pth')),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=embed_dims,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        topk=(1, 5),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=2e-5)),
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0),
    ]))
