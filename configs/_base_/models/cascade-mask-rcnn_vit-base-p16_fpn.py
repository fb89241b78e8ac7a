# Cascade Mask R-CNN (Cai & Vasconcelos 2021) with a plain ViT-B/16
# backbone: the detection system of CAE arXiv 2022 App. D, Table 5 and CAE
# IJCV 2023 Table 6 ("object detection and instance segmentation on COCO
# with the Cascaded Mask R-CNN framework").
#
# mmdet's Cascade Mask R-CNN
# (mmdet::_base_/models/cascade-mask-rcnn_r50_fpn.py: three box stages at
# IoU 0.5 / 0.6 / 0.7, FCN mask head) is inherited; the ResNet and its FPN
# are replaced by the same ViT -> ViTPyramidNeck -> FPN as in
# mask-rcnn_vit-base-p16_fpn.py (tests/test_configs/test_det_configs.py
# checks that the two stay identical). The 4conv1fc / GIoU box heads of the
# official CAE code: cascade-mask-rcnn_vit-base-p16_fpn-4conv1fc-giou.py.
_base_ = 'mmdet::_base_/models/cascade-mask-rcnn_r50_fpn.py'

embed_dims = 768  # ViT-B

model = dict(
    backbone=dict(
        _delete_=True,
        type='mmcae.ViT',
        arch='base',
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
        with_cp=False,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/cae_vit-base-p16_300e.pth')),
    neck=[
        dict(
            type='mmcae.ViTPyramidNeck',
            in_channels=embed_dims,
            scales=(4, 2, 1, 0.5),
            norm_cfg=dict(type='SyncBN', requires_grad=True)),
        dict(
            type='FPN',
            in_channels=[embed_dims] * 4,
            out_channels=256,
            num_outs=5),
    ])
