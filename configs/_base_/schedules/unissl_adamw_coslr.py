# The Uni-SSL pretraining schedule (Sec. 3, "Implementation details"):
# AdamW, batch 1024, base lr 5e-4 per 256 images (lr = 5e-4 x 1024 / 256 =
# 2e-3), 10 linear warmup epochs, then cosine to 0, 100 epochs, stepped per
# iteration; mixed precision. What the paper leaves open follows DINO, whose
# head and loss Uni-SSL takes: weight decay 0.04 rising to 0.4 on a cosine
# (none on norms, biases, [CLS] and positions), gradient clipping at norm 3,
# AdamW betas (0.9, 0.999). On another total batch, ``tools/train.py
# --auto-scale-lr`` scales the lr linearly (base_batch_size below).
_base_ = 'mmpretrain::_base_/default_runtime.py'

max_epochs = 100
warmup_epochs = 10

optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(
        type='AdamW', lr=5e-4 * 1024 / 256, betas=(0.9, 0.999),
        weight_decay=0.04),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        custom_keys={
            'pos_embed': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.),
            # the EMA teacher gets no gradient and no update from the
            # optimizer: AdamW skips parameters without a gradient
        }))

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
    # DINO's weight decay: 0.04 -> 0.4 on a cosine over the run (relative
    # to each group's own value, so the groups without decay stay at 0)
    dict(
        type='CosineAnnealingParamScheduler',
        param_name='weight_decay',
        eta_min_ratio=10.,
        T_max=max_epochs,
        by_epoch=True,
        begin=0,
        end=max_epochs,
        convert_to_iter_based=True),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))

randomness = dict(seed=0, diff_rank_seed=True)

auto_scale_lr = dict(base_batch_size=1024)
