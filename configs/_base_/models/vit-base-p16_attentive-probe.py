# CAE's attentive probe: frozen encoder, one learned query attending to all
# its tokens (no residual, no MLP), BatchNorm1d(affine=False), linear layer;
# as many heads as the encoder (official models/modeling_finetune.py l. 370).
depth, embed_dims, num_heads = 12, 768, 12

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='mmcae.ViT', arch='base', img_size=224, patch_size=16,
        qkv_bias='qv', layer_scale_init_value=0.1, pos_embed='sincos',
        out_type='raw', final_norm=True, drop_path_rate=0.,
        frozen_stages=depth,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-base-p16_300e.pth')),
    neck=None,
    head=dict(
        type='mmcae.AttentiveProbeHead', num_classes=1000,
        in_channels=embed_dims, num_heads=num_heads,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0), topk=(1, 5)))
