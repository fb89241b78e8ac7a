# The ADE20K fine-tuning schedule of the CAE papers (arXiv 2022 App. A;
# IJCV 2023 "Training Details"; the BEiT recipe they follow):
#   AdamW, betas (0.9, 0.999), weight decay 0.05 (none for norms, biases,
#   q/v biases, layer-scale gammas, [CLS], position and relative position
#   tables), layer-wise lr decay (ViT-B 0.65, ViT-L 0.95; the lr of block i
#   of L is lr * rate ** (L + 1 - (i + 1)), necks and heads get lr), mixed
#   precision, 160k iterations at batch 16, linear warmup over 1500
#   iterations from lr * 1e-6, then poly (power 1) to 0, stepped per
#   iteration; evaluation and a checkpoint every 16k iterations.
# The lr is set by each config (the papers searched 1e-4 to 4e-4 for ViT-B,
# 3e-5 to 5e-5 for ViT-L).
#
# AmpOptimWrapper needs CUDA; on a CPU-only machine add
#   --cfg-options optim_wrapper.type=OptimWrapper
_base_ = 'mmseg::_base_/schedules/schedule_160k.py'

optim_wrapper = dict(
    _delete_=True,
    type='AmpOptimWrapper',  # dynamic loss scale (its default)
    optimizer=dict(
        type='AdamW', lr=4e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='mmcae.LayerDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.65))

warmup_iters = 1500
max_iters = 160000
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-6,
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
# from the base: IterBasedTrainLoop, 160k iterations, validation and a
# checkpoint every 16k
train_cfg = dict(max_iters=max_iters, val_interval=16000)

# the lr is for the papers' batch of 16 (configs: 8 GPUs x 2 images);
# tools/train.py --auto-scale-lr rescales it for another total batch
auto_scale_lr = dict(enable=False, base_batch_size=16)
