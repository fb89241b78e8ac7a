# The ImageNet fine-tuning schedule of the CAE papers (arXiv 2022 App. A,
# IJCV 2023 "Fine-tuning on ImageNet"; BEiT's protocol): AdamW, betas
# (0.9, 0.999), weight decay 0.05 (none for norms, biases, q/v biases,
# layer-scale gammas, [CLS], position and relative position tables),
# layer-wise lr decay (mmcae.LayerDecayOptimWrapperConstructor: lr scale
# rate ** (depth + 1 - layer id)), total batch 4096, 5 warmup epochs then
# cosine to 1e-6, stepped per iteration; mixed precision.
# Defaults here: ViT-B, 100 epochs, lr 8e-3, decay 0.65. ViT-S (200 e,
# 1.6e-2, 0.75) and ViT-L (50 e, 2e-3, 0.75) configs override them.
#
# Another total batch: tools/train.py --auto-scale-lr scales the lr
# linearly from base_batch_size below.
_base_ = 'mmpretrain::_base_/default_runtime.py'

optim_wrapper = dict(
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    constructor='mmcae.LayerDecayOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=8e-3, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(layer_decay_rate=0.65))

max_epochs, warmup_epochs = 100, 5
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
        eta_min=1e-6,
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
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                    save_best='auto'))

randomness = dict(seed=0)
auto_scale_lr = dict(base_batch_size=4096)
