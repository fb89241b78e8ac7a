_base_ = [
    '../_base_/models/sem-fpn_vit-base-p16.py',
    '../_base_/datasets/ade20k_512x512.py',
    '../_base_/schedules/vit-seg_adamw-layer-decay-amp_160k.py',
    'mmseg::_base_/default_runtime.py',
]

optim_wrapper = dict(optimizer=dict(lr=2e-4))
train_dataloader = dict(batch_size=2)
