_base_ = [
    '../../_base_/models/vit-base-p16_attentive-probe.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/probe_sgd_90e.py',
]

model = dict(
    backbone=dict(
        arch='large',
        layer_scale_init_value=1e-5,
        frozen_stages=24,
        init_cfg=dict(checkpoint='weights/cae_vit-large-p16_1600e.pth')),
    head=dict(in_channels=1024, num_heads=16))

train_dataloader = dict(batch_size=1024, drop_last=True)
val_dataloader = dict(batch_size=256)
test_dataloader = val_dataloader
