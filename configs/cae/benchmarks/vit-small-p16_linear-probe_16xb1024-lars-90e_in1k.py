# Linear probe of the official CAE ViT-S (cae_small_patch16_224: 12 heads,
# models/modeling_finetune.py line 488).
_base_ = [
    '../../_base_/models/vit-base-p16_linear-probe.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/probe_lars_90e.py',
]

model = dict(
    backbone=dict(
        arch='cae-small',
        frozen_stages=12,
        init_cfg=dict(checkpoint='weights/cae_vit-small-p16_300e.pth')),
    neck=dict(input_features=384),
    head=dict(in_channels=384))

train_dataloader = dict(batch_size=1024, drop_last=True)
val_dataloader = dict(batch_size=256)
test_dataloader = val_dataloader
