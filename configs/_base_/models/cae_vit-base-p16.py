# CAE, ViT-B/16 (IJCV 2023): regressor 4 + decoder 4 blocks, DALL-E tokens,
# loss = CE + 2 x MSE; the official code's drop path (the encoder's rate, also
# spaced over the regressor's and the decoder's blocks) and init (README
# "Recipe notes"). The frozen DALL-E encoder is read from
# weights/dalle_encoder.pth (never downloaded; see configs/cae/README.md).
model = dict(
    type='mmcae.CAE',
    backbone=dict(
        type='mmcae.ViT', arch='base', img_size=224, patch_size=16,
        qkv_bias='qv', layer_scale_init_value=0.1, pos_embed='sincos',
        out_type='raw', drop_path_rate=0.1, init_scheme='cae'),
    neck=dict(
        type='mmcae.CAENeck', embed_dims=768, num_heads=12,
        regressor_depth=4, decoder_depth=4, out_channels=8192, mlp_ratio=4.,
        layer_scale_init_value=0.1, drop_path_rate=0.1),
    target_generator=dict(
        type='mmcae.DALLEEncoder',
        init_cfg=dict(
            type='Pretrained', checkpoint='weights/dalle_encoder.pth')),
    target='tokens',
    align_weight=2.)
