model = dict(
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], to_rgb=True),
    backbone=dict(
        type='mmcae.ViT',
        arch=dict(embed_dims=64, num_layers=4, num_heads=4,
                  mlp_hidden_dims=256),
        img_size=64, patch_size=8, qkv_bias='qv', layer_scale_init_value=0.1,
        pos_embed='sincos', out_type='raw'))
