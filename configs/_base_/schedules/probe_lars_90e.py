# The linear-probing schedule of the CAE papers (arXiv 2022 App. A, IJCV
# 2023 "Linear probing"; MAE's protocol): LARS, momentum 0.9, lr 6.4 for
# the total batch 16384 (0.1 x 16384 / 256), weight decay 0, 90 epochs,
# 10 warmup epochs then cosine to 0, stepped per iteration; mixed
# precision. Only the probe's parameters reach the optimizer, and the build
# fails if the encoder is not frozen (mmcae.ProbeOptimWrapperConstructor);
# biases are excluded from LARS' trust ratio (MAE's LARS).
#
# Another total batch: tools/train.py --auto-scale-lr scales the lr
# linearly from base_batch_size below.
_base_ = 'mmpretrain::_base_/default_runtime.py'

optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    constructor='mmcae.ProbeOptimWrapperConstructor',
    optimizer=dict(type='LARS', lr=6.4, momentum=0.9, weight_decay=0.),
    paramwise_cfg=dict(frozen_prefix='backbone'))

max_epochs, warmup_epochs = 90, 10
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=0.,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_best='auto'))

randomness = dict(seed=0, diff_rank_seed=True)
auto_scale_lr = dict(base_batch_size=16384)
