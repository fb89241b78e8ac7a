# tiny_vit_cls.py (iteration-based, InfiniteSampler, data loaded in the main
# process) with random augmentations, drop path and the fault hooks of
# tests/data/fault_hooks.py (found through PYTHONPATH=tests/data).
_base_ = ['./tiny_vit_cls.py']

custom_imports = dict(imports=['fault_hooks'], allow_failed_imports=False)
custom_hooks = [
    dict(type='mmcae.LossRecordHook'),
    dict(type='mmcae.KillAtIterHook', at_iter=0),
]
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='RandomResizedCrop', scale=32),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackInputs')
    ]))
train_cfg = dict(max_iters=8)
model = dict(backbone=dict(drop_path_rate=0.2))
