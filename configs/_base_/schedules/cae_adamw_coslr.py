# The CAE pretraining schedule and runtime (CAE arXiv 2022 App. A; IJCV 2023
# "Training Details"; the BEiT settings the papers follow):
#   AdamW, lr 1.5e-3 for the total batch 2048 (absolute, not per 256),
#   betas (0.9, 0.999), weight decay 0.05 except for norms, biases, q/v
#   biases, layer-scale gammas, [CLS], the mask token and the position
#   table; gradient clipping at norm 3.0; mixed precision; linear warmup
#   then cosine decay to 1e-5, stepped per iteration.
# Defaults here: 300 epochs with 10 warmup epochs (warmup 10 / 20 / 40 for
# 300 / 800 / 1600 epochs in IJCV; 10 for both 300 and 800 in arXiv).
# Configs with another length redefine ``param_scheduler`` and
# ``train_cfg``.
#
# On a different total batch (GPUs x batch per GPU), scale the lr linearly
# with ``tools/train.py --auto-scale-lr`` (base_batch_size below).
_base_ = 'mmpretrain::_base_/default_runtime.py'

optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(
        type='AdamW', lr=1.5e-3, betas=(0.9, 0.999), weight_decay=0.05),
    clip_grad=dict(max_norm=3.0),
    paramwise_cfg=dict(
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        # matched as substrings of the full parameter names
        custom_keys={
            'pos_embed': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'gamma': dict(decay_mult=0.),  # layer scale gamma_1 / gamma_2
            'q_bias': dict(decay_mult=0.),
            'v_bias': dict(decay_mult=0.),
        }))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=10,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=290,
        eta_min=1e-5,
        by_epoch=True,
        begin=10,
        end=300,
        convert_to_iter_based=True),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=300)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    # epoch_N.pth every 10 epochs (+ the last); ``--resume`` finds the
    # newest through work_dir/last_checkpoint
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3))

# a different numpy seed per rank and per dataloader worker, so that no two
# processes draw the same crops and masks
randomness = dict(seed=0, diff_rank_seed=True)

# the lr above is for this total batch size
auto_scale_lr = dict(base_batch_size=2048)
