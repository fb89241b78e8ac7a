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

metainfo = dict(classes=('ball', 'box', 'tent', 'flag', 'clock', 'plate',
                         'signboard', 'flower'))
num_classes = len(metainfo['classes'])

train_dataloader = dict(dataset=dict(metainfo=metainfo))
val_dataloader = dict(dataset=dict(metainfo=metainfo))
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
        init_cfg=None),
    neck=dict(in_channels=embed_dims, scales=(2, 1, 0.5, 0.25)),
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
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(85, 85)))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(layer_decay_rate=0.65))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=1.0, by_epoch=False,
         begin=warmup_iters, end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters, max_keep_ckpts=1))
env_cfg = dict(cudnn_benchmark=False)
randomness = dict(seed=0)
