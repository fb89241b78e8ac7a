# Fine-tuning of the official CAE ViT-S (cae_small_patch16_224: 12 heads,
# models/modeling_finetune.py line 488).
_base_ = [
    '../../_base_/models/vit-base-p16_finetune.py',
    '../../_base_/datasets/imagenet_bs64_finetune.py',
    '../../_base_/schedules/finetune_adamw-layer-decay_100e.py',
]

model = dict(
    backbone=dict(
        arch='cae-small',
        drop_path_rate=0.1,
        init_cfg=dict(checkpoint='weights/cae_vit-small-p16_300e.pth')),
    head=dict(in_channels=384))

train_dataloader = dict(batch_size=128, drop_last=True)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader

optim_wrapper = dict(
    optimizer=dict(lr=1.6e-2),
    paramwise_cfg=dict(layer_decay_rate=0.75))

max_epochs, warmup_epochs = 200, 5
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
