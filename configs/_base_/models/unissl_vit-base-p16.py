# Uni-SSL with a ViT-B/16 encoder (Uni-SSL Sec. 3, Fig. 4, Eq. 8-11):
#   encoder     ViT-B/16 (DeiT layout: one bias on the fused qkv, no layer
#               scale, learned positions), the 14 x 14 patch tokens after
#               the final norm as the dense map (out_type='featmap'); the
#               teacher is an EMA copy of encoder + projection head
#   sampling    K x K = 5 x 5 points uniformly in the two views' overlap,
#               bilinear grid_sample in each view's token map
#   L_sim       DINO's projection head on every sampled point (3 layers,
#               hidden 2048, bottleneck 256, 65536 weight-normalized
#               prototypes, "the same setting as DINO"), centred (momentum
#               0.9) cross-entropy, student / teacher temperature 0.1 / 0.04
#   L_pixel     Linear(768 -> 3 x 80 x 80) on every token vs the 80 x 80
#               window of view 1 around it (S = 80 = 5 x 5 tokens), MSE
#   EMA         teacher momentum 0.996 -> 1 (cosine, DINO's schedule)
model = dict(
    type='mmcae.UniSSL',
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
        # DINO's student ViT-B: stochastic depth 0.1 (off in the teacher)
        drop_path_rate=0.1,
        out_type='featmap'),
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
    feature_channels=768,
    num_points=5,
    pixel_window=80,
    pixel_weight=1.0,
    norm_pix=False,
    symmetric=False,
    base_momentum=0.004,
    freeze_last_layer_epochs=1)
