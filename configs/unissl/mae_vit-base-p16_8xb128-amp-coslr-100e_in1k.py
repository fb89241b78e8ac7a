# mmpretrain's MAE with the recipe of Uni-SSL Sec. 3 (100 epochs, 20 warmup,
# batch 1024): the MAE baseline and parent of the decoder / mask ablations.
_base_ = 'mmpretrain::mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

model = dict(
    backbone=dict(mask_ratio=0.75), neck=dict(num_patches=196))

train_dataloader = dict(batch_size=128)

optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 1024 / 256))

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=80, eta_min=0., by_epoch=True,
         begin=20, end=100, convert_to_iter_based=True),
]

train_cfg = dict(max_epochs=100)

auto_scale_lr = dict(base_batch_size=1024)
