# BEiT's fine-tuning as the official CAE code runs it: relative position bias
# per block, fixed sin-cos table, mean-pooled tokens + LayerNorm that starts as
# the pretrained final norm (norm_to_fc_norm); sources: cae/README.md.
embed_dims = 768

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmcae.ViT', arch='base', img_size=224, patch_size=16,
        qkv_bias='qv', layer_scale_init_value=0.1, pos_embed='sincos',
        use_rel_pos_bias=True, out_type='avg_featmap', final_norm=False,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-base-p16_300e.pth',
            norm_to_fc_norm=True)),
    neck=None,
    head=dict(
        type='LinearClsHead', num_classes=1000, in_channels=embed_dims,
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        topk=(1, 5),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=2e-5)),
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0),
    ]))
