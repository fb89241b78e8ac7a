# Attentive probe of a pretrained ViT-B/16 (CAE arXiv 2022 Sec. 4.2 + App.
# A; IJCV 2023 "Attentive probing"): an mmpretrain ImageClassifier with
#   mmcae.ViT, FROZEN (frozen_stages = depth: no parameter trains and every
#     block stays in eval mode), all its tokens after the final LayerNorm
#   -> mmcae.AttentiveProbeHead: one learned query token, one
#      cross-attention unit (LayerNorms on q, k and v; keys / values = the
#      encoder's tokens), NO residual, NO MLP -> BatchNorm1d(affine=False)
#      -> linear classifier.
# No drop path. The optimizer sees only the head
# (mmcae.ProbeOptimWrapperConstructor, in the schedule base).
#
# Checkpoint: --cfg-options model.backbone.init_cfg.checkpoint=PATH (see
# vit-base-p16_linear-probe.py).
depth, embed_dims, num_heads = 12, 768, 12

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
        out_type='raw',
        final_norm=True,
        drop_path_rate=0.,
        frozen_stages=depth,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-base-p16_300e.pth')),
    neck=None,
    head=dict(
        type='mmcae.AttentiveProbeHead',
        num_classes=1000,
        in_channels=embed_dims,
        num_heads=num_heads,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
