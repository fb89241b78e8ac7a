# UperNet with a plain ViT-B/16 backbone: the ADE20K segmentation system of
# the CAE papers (arXiv 2022 Sec. 4.4 + App. A, Table 3; IJCV 2023 Sec. 4 +
# "Training Details", Table 2), which "follow the code of BEiT": an mmseg
# EncoderDecoder
#
#   mmcae.ViT (block outputs 3, 5, 7, 11; stride 16)
#     -> mmcae.ViTPyramidNeck (4x: deconv-SyncBN-GELU-deconv, 2x: deconv,
#        1x: identity, 0.5x: max-pool -> strides 4, 8, 16, 32)
#     -> UPerHead (768 channels) + auxiliary FCNHead on level 2 (weight 0.4)
#
# Heads, losses, data preprocessor and SyncBN are mmseg's BEiT UperNet base
# (mmseg::_base_/models/upernet_beit.py), inherited unchanged; the backbone
# and the neck are replaced.
#
# Backbone as the encoder of the official CAE segmentation code: BEiT blocks
# (q and v biases, no k bias; layer scale, init 0.1, overwritten by the
# pretrained gammas), the checkpoint's fixed 2-D sin-cos position table
# (resized bicubically to the 32 x 32 grid of 512 px crops when it is
# loaded), a relative position bias per block (zero-initialized: CAE
# pretrains without one), drop path 0.1, block outputs WITHOUT the final
# LayerNorm (the official out_with_norm=False).
#
# Inference: sliding 512 x 512 windows, stride 341 (the CAE / BEiT / MAE
# configs). Whole-image inference is an option because mmcae.ViT resizes
# its position tables (absolute and relative) to any input grid at run
# time; the image must then be padded to a multiple of the patch size:
#   --cfg-options model.test_cfg.mode=whole \
#       model.data_preprocessor.test_cfg.size_divisor=16
#
# Pretrained weights: a ViT checkpoint in any layout mmcae's converter reads
# (tools/model_converters/convert_checkpoint.py output, a full CAE
# pretraining checkpoint, BEiT, MAE, ...). Configs set the file; override it
# with --cfg-options model.backbone.init_cfg.checkpoint=PATH (or train from
# scratch with model.backbone.init_cfg=None).
_base_ = 'mmseg::_base_/models/upernet_beit.py'

embed_dims = 768  # ViT-B

model = dict(
    # pad training crops to 512 x 512 (images smaller than the crop)
    data_preprocessor=dict(size=(512, 512)),
    backbone=dict(
        _delete_=True,
        type='mmcae.ViT',
        arch='base',
        # the crop size: relative position tables are built for its grid
        img_size=(512, 512),
        patch_size=16,
        qkv_bias='qv',
        layer_scale_init_value=0.1,
        pos_embed='sincos',
        use_rel_pos_bias=True,
        out_indices=(3, 5, 7, 11),
        out_type='featmap',
        final_norm=False,
        drop_path_rate=0.1,
        # activation checkpointing saves memory at ~20 % more time:
        #   --cfg-options model.backbone.with_cp=True
        with_cp=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-base-p16_300e.pth')),
    neck=dict(
        _delete_=True,
        type='mmcae.ViTPyramidNeck',
        in_channels=embed_dims,
        scales=(4, 2, 1, 0.5),
        norm_cfg=dict(type='SyncBN', requires_grad=True)),
    decode_head=dict(
        in_channels=[embed_dims] * 4, channels=embed_dims, num_classes=150),
    auxiliary_head=dict(in_channels=embed_dims, num_classes=150),
    test_cfg=dict(mode='slide', crop_size=(512, 512), stride=(341, 341)))
