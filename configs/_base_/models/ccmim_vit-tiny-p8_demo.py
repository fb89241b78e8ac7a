# ccMIM's algorithm with the demo encoder (64-d, 4 blocks) and a 2-block
# decoder; the data sets img_size / patch_size (8 x 8 grid).
_base_ = ['./vit-tiny-p8_demo.py']

img_size, patch_size = 64, 8
grid = img_size // patch_size
embed_dims = 64

xavier = dict(type='Xavier', layer='Linear', distribution='uniform')
model = dict(
    type='mmcae.CcMIM',
    # the official ccMIM (MAE) init in every part, as the paper configs
    backbone=dict(init_scheme='mae'),
    neck=dict(
        type='MAEPretrainDecoder', num_patches=grid * grid,
        patch_size=patch_size, in_chans=3, embed_dim=embed_dims,
        decoder_embed_dim=64, decoder_depth=2, decoder_num_heads=4,
        mlp_ratio=4, init_cfg=[xavier]),
    head=dict(
        type='MAEPretrainHead', norm_pix=True, patch_size=patch_size,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    projector=dict(
        type='NonLinearNeck', in_channels=embed_dims,
        hid_channels=embed_dims, out_channels=64, num_layers=2,
        with_bias=False, with_last_bn=True, with_last_bn_affine=False,
        with_avg_pool=False, norm_cfg=dict(type='BN1d'), init_cfg=[xavier]),
    align_head=dict(type='mmcae.InfoNCEHead', temperature=0.5),
    align_weight=0.2, mask_ratio=0.75, mask_strategy='importance_sampling')
