# Linear probe of a pretrained ViT-B/16 (CAE arXiv 2022 App. A / IJCV 2023
# "Training Details", "Linear probing"; the MAE protocol): an mmpretrain
# ImageClassifier with
#   mmcae.ViT, FROZEN (frozen_stages = depth: no parameter trains and every
#     block stays in eval mode), the [CLS] token after the final LayerNorm
#   -> BatchNorm1d(affine=False) (mmpretrain's ClsBatchNormNeck)
#   -> one linear layer (trunc normal std 0.01, as MAE).
# No drop path. The optimizer sees only the linear layer
# (mmcae.ProbeOptimWrapperConstructor, in the schedule base).
#
# The encoder is the CAE pretraining encoder (q/v biases, layer scale, the
# fixed sin-cos position table of the checkpoint, no relative position
# bias). Set the checkpoint with
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
# (any layout mmcae's converter reads: a full CAE pretraining checkpoint,
# a converted encoder, MAE / BEiT / DeiT / MoCo v3 / DINO / mmpretrain).
depth, embed_dims = 12, 768

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
        out_type='cls_token',
        final_norm=True,
        drop_path_rate=0.,
        frozen_stages=depth,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-base-p16_300e.pth')),
    neck=dict(type='ClsBatchNormNeck', input_features=embed_dims),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=embed_dims,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.01)))
