_base_ = [
    '../../_base_/models/vit-base-p16_finetune.py',
    '../../_base_/datasets/cmplaces-clipart_bs64_finetune.py',
    '../../_base_/schedules/finetune_adamw-layer-decay_100e.py',
]

model = dict(
    backbone=dict(
        init_cfg=dict(checkpoint='weights/cae_vit-base-p16_1600e.pth')),
    head=dict(num_classes=205))

train_dataloader = dict(batch_size=64, drop_last=True)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader

optim_wrapper = dict(optimizer=dict(lr=1e-3))
auto_scale_lr = dict(base_batch_size=512)
