# The segmentation pipeline of the paper configs (UperNet + auxiliary FCN
# head on an mmcae.ViT with BEiT blocks and relative position bias, the ViT
# pyramid neck, layer-wise lr decay, warmup then poly, mmseg's ADE20K
# pipeline and IoUMetric) at a size that trains on a CPU in a minute or
# two: a 4-block, 64-d ViT with 8 px patches on the demo ADE20K scenes at
# half their size (128 x 128 crops), the 8 demo categories as the classes
# (mmseg maps their ADE20K ids to 0..7, every other id to 255), 200
# iterations at batch 4. Not a paper recipe; the paper recipes are
# vitb_upernet_ade20k.py and upernet_cae-*.py.
#   python tools/misc/make_demo_data.py --out data/demo --size medium
#   python tools/train.py \
#       configs/cae/upernet_vit-tiny-p8_1xb4-200i_demo-ade20k.py
# From a pretrained tiny encoder (e.g. the demo CAE pretraining,
# cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py, converted or not):
#   --cfg-options model.backbone.init_cfg._delete_=True \
#       model.backbone.init_cfg.type=Pretrained \
#       model.backbone.init_cfg.checkpoint=PATH
# tools/benchmark/dense_seg_demo.py trains it from a checkpoint and from
# random weights and compares the two mIoUs.
_base_ = [
    '../_base_/models/upernet_vit-base-p16.py',
    '../_base_/datasets/demo_ade20k.py',
    '../_base_/schedules/vit-seg_adamw-layer-decay-amp_160k.py',
    'mmseg::_base_/default_runtime.py',
]

crop_size = (128, 128)
embed_dims = 64
max_iters = 200
warmup_iters = 20

# the demo categories (mmcae.datasets.demo.categories) by their ADE20K names
metainfo = dict(classes=('ball', 'box', 'tent', 'flag', 'clock', 'plate',
                         'signboard', 'flower'))
num_classes = len(metainfo['classes'])

# demo_ade20k.py's pipelines at half the scale: the short side of the 320 px
# 'medium' scenes is rescaled to 80-320 px for training (crops of 128) and
# to 160 px for testing
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcae.LoadSegAnnotations', reduce_zero_label=True),
    dict(
        type='RandomResize',
        scale=(320, 160),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(320, 160), keep_ratio=True),
    dict(type='mmcae.LoadSegAnnotations', reduce_zero_label=True),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(metainfo=metainfo, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader

model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        arch=dict(
            _delete_=True,
            embed_dims=embed_dims,
            num_layers=4,
            num_heads=4,
            mlp_hidden_dims=4 * embed_dims),
        img_size=crop_size,
        patch_size=8,
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        # random weights unless a checkpoint is given (see above)
        init_cfg=None),
    # from stride 8 (8 px patches) to strides 4, 8, 16, 32
    neck=dict(in_channels=embed_dims, scales=(2, 1, 0.5, 0.25)),
    # the cross-entropy averaged over labelled pixels only (the recipe's
    # averages over every pixel, ignored ones included: right for ADE20K,
    # where few are ignored, but the demo scenes are mostly ignored
    # background, which would make the loss follow the crop, not training)
    decode_head=dict(
        in_channels=[embed_dims] * 4,
        channels=embed_dims,
        num_classes=num_classes,
        loss_decode=dict(avg_non_ignore=True)),
    auxiliary_head=dict(
        in_channels=embed_dims,
        channels=embed_dims // 2,
        num_classes=num_classes,
        loss_decode=dict(avg_non_ignore=True)),
    # the paper's windows (512, stride 341) scaled to the 128 px crops
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(85, 85)))

# plain fp32 on CPU; the paper's AdamW and layer decay 0.65, an lr for
# training the small heads in 200 steps
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(layer_decay_rate=0.65))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=False,
        begin=0,
        end=warmup_iters),
    dict(
        type='PolyLR',
        eta_min=0.0,
        power=1.0,
        by_epoch=False,
        begin=warmup_iters,
        end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
