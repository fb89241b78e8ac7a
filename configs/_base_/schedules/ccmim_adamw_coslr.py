# App. C ("in line with MAE"), run as the official code runs it: fp32
# (engine_pretrain.py autocast(enabled=False)), timm's weight-decay set.
_base_ = 'mmpretrain::_base_/default_runtime.py'

# timm add_weight_decay (submit_pretrain.py): no decay on 1-d tensors (norms)
# and biases; [CLS] and the mask token decay (the sin-cos tables are frozen)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1.5e-4 * 1024 / 256, betas=(0.9, 0.95),
        weight_decay=0.05),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={'pos_embed': dict(decay_mult=0.)}))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=40,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=260,
        eta_min=0.,
        by_epoch=True,
        begin=40,
        end=300,
        convert_to_iter_based=True),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=300)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))

randomness = dict(seed=0, diff_rank_seed=True)

auto_scale_lr = dict(base_batch_size=1024)
