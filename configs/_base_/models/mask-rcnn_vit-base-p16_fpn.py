# Mask R-CNN with a plain ViT-B/16 backbone, the detection system of the CAE
# papers (arXiv 2022 Sec. 4.4 + App. A, Table 4; IJCV 2023 Sec. 4 +
# "Training Details", Table 3): "The Mask R-CNN implementation follows
# MMDetection" with the ViT as the backbone.
#
#   mmcae.ViT (4 block outputs, stride 16)
#     -> mmcae.ViTPyramidNeck (4x: deconv-norm-GELU-deconv, 2x: deconv,
#        1x: identity, 0.5x: max-pool -> strides 4, 8, 16, 32)
#     -> mmdet FPN (256 channels, 5 levels) -> RPN -> RoI heads
#
# Everything after the backbone is mmdet's own Mask R-CNN
# (mmdet::_base_/models/mask-rcnn_r50_fpn.py, inherited unchanged: RPN,
# Shared2FCBBoxHead, FCNMaskHead, assigners, samplers, test settings).
# The official CAE code replaces the box head by a 4conv1fc head with a
# GIoU loss: see mask-rcnn_vit-base-p16_fpn-4conv1fc-giou.py.
#
# Backbone as the CAE encoder (official CAE detection code): BEiT blocks
# (q and v biases, no k bias; layer scale, init 0.1 for B, 1e-5 for L: the
# pretrained gammas are loaded over it), the fixed 2-D sin-cos position
# table of the checkpoint (resized bicubically to every input's patch grid
# at run time), no relative position bias (CAE pretrains without one), block
# outputs 3, 5, 7, 11 (ViT-B; 7, 11, 15, 23 for ViT-L) WITHOUT the final
# LayerNorm (the official code's out_with_norm=False), drop path 0.2 for
# ViT-B (IJCV: S 0.1, B 0.2, L 0.2).
#
# Relative position bias: off, as in the official CAE detection code (CAE
# pretrains without one; the official segmentation code turns it on). With
# use_rel_pos_bias=True (e.g. for BEiT checkpoints) mmcae.ViT resamples the
# tables to each batch's patch grid, and tables a checkpoint lacks start at
# zero.
#
# Pretrained weights: a ViT checkpoint in any layout mmcae's converter reads
# (tools/model_converters/convert_checkpoint.py; a full CAE pretraining
# checkpoint, BEiT, MAE, ...). Configs set the file; override it with
#   --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = 'mmdet::_base_/models/mask-rcnn_r50_fpn.py'

embed_dims = 768  # ViT-B

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcae.ViT',
        arch='base',
        # the pretraining size: the checkpoint's 14 x 14 position table is
        # loaded as it is and resized to each batch's grid in forward
        img_size=224,
        patch_size=16,
        qkv_bias='qv',
        layer_scale_init_value=0.1,
        pos_embed='sincos',
        use_rel_pos_bias=False,
        out_indices=(3, 5, 7, 11),
        out_type='featmap',
        final_norm=False,
        drop_path_rate=0.2,
        # activation checkpointing (saves memory at ~20 % more time; the
        # official scripts turn it on):
        #   --cfg-options model.backbone.with_cp=True
        with_cp=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-base-p16_300e.pth')),
    # A list of necks is built as mmengine's Sequential: the pyramid first,
    # then mmdet's FPN on its four levels.
    neck=[
        dict(
            type='mmcae.ViTPyramidNeck',
            in_channels=embed_dims,
            scales=(4, 2, 1, 0.5),
            # BEiT / CAE code: SyncBatchNorm between the two deconvolutions
            # (plain BatchNorm in a single process)
            norm_cfg=dict(type='SyncBN', requires_grad=True)),
        dict(
            type='FPN',
            in_channels=[embed_dims] * 4,
            out_channels=256,
            num_outs=5),
    ])
