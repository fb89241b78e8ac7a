# MAE's linear probe: frozen encoder (frozen_stages = depth), [CLS] after the
# final norm, BatchNorm1d(affine=False), a linear layer (std 0.01).
depth, embed_dims = 12, 768

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmcae.ViT', arch='base', img_size=224, patch_size=16,
        qkv_bias='qv', layer_scale_init_value=0.1, pos_embed='sincos',
        out_type='cls_token', final_norm=True, drop_path_rate=0.,
        frozen_stages=depth,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-base-p16_300e.pth')),
    neck=dict(type='ClsBatchNormNeck', input_features=embed_dims),
    head=dict(
        type='LinearClsHead', num_classes=1000, in_channels=embed_dims,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0), topk=(1, 5),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.01)))
