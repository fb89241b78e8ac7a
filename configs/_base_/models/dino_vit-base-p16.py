# DINO with a ViT-B/16 student and an EMA teacher (0.996 -> 1), as Uni-SSL
# uses it (Sec. 3: DINO's head; centering 0.9, temperatures 0.1 / 0.04).
model = dict(
    type='mmcae.DINO',
    data_preprocessor=dict(
        type='SelfSupDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], to_rgb=True),
    backbone=dict(
        type='mmcae.ViT', arch='base', img_size=224, patch_size=16,
        qkv_bias='qkv', layer_scale_init_value=0., drop_path_rate=0.1,
        out_type='cls_token', init_scheme='dino'),
    neck=dict(
        type='mmcae.DINOProjectionHead', in_channels=768,
        hidden_channels=2048, bottleneck_channels=256, out_channels=65536,
        num_layers=3, norm_last_layer=True),
    head=dict(
        type='mmcae.DINOHead', out_channels=65536, student_temperature=0.1,
        teacher_temperature=0.04, center_momentum=0.9),
    base_momentum=0.004,
    freeze_last_layer_epochs=1)
