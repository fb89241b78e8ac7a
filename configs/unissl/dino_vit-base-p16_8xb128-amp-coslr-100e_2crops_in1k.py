# DINO with two crops, ViT-B/16, 100 epochs: the contrastive baseline of
# Uni-SSL's Table 2 ("DINO 100 e, 2 crops": FT 81.8, linear probe 68.1;
# DINO 300 e with 12 crops: 82.8 / 78.2). "Shares the same network
# architecture and data augmentation with Uni-SSL": the same encoder,
# projection head, loss (temperatures 0.1 / 0.04, centre momentum 0.9),
# EMA teacher, two overlapping views and schedule; the difference is what is
# contrasted: the [CLS] token of each whole view (both cross-view pairs)
# instead of K x K local points, and no pixel term.
#   bash tools/dist_train.sh \
#       configs/unissl/dino_vit-base-p16_8xb128-amp-coslr-100e_2crops_in1k.py 8
_base_ = ['./unissl_vit-base-p16_8xb128-amp-coslr-100e_in1k.py']

model = dict(
    _delete_=True,
    type='mmcae.DINO',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
    backbone=dict(
        type='mmcae.ViT',
        arch='base',
        img_size=224,
        patch_size=16,
        qkv_bias='qkv',
        layer_scale_init_value=0.,
        drop_path_rate=0.1,
        out_type='cls_token'),
    neck=dict(
        type='mmcae.DINOProjectionHead',
        in_channels=768,
        hidden_channels=2048,
        bottleneck_channels=256,
        out_channels=65536,
        num_layers=3,
        norm_last_layer=True),
    head=dict(
        type='mmcae.DINOLoss',
        out_channels=65536,
        student_temperature=0.1,
        teacher_temperature=0.04,
        center_momentum=0.9),
    base_momentum=0.004,
    freeze_last_layer_epochs=1)
