_base_ = 'mmpretrain::_base_/default_runtime.py'

optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    constructor='mmcae.ProbeOptimWrapperConstructor',
    optimizer=dict(type='LARS', lr=6.4, momentum=0.9, weight_decay=0.),
    paramwise_cfg=dict(frozen_prefix='backbone'))

max_epochs, warmup_epochs = 90, 10
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=0., by_epoch=True, begin=warmup_epochs, end=max_epochs,
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
