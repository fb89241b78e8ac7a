_base_ = [
    '../../_base_/models/vit-base-p16_finetune.py',
    '../../_base_/datasets/inat2018_bs64_finetune.py',
    '../../_base_/schedules/finetune_adamw-layer-decay_100e.py',
]

model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint='weights/cae_vit-base-p16_1600e.pth')),
    head=dict(num_classes=8142))

train_dataloader = dict(batch_size=128, drop_last=True)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=3e-4))
auto_scale_lr = dict(base_batch_size=1024)

max_epochs, warmup_epochs = 360, 5
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=10)
default_hooks = dict(checkpoint=dict(interval=10))
