# The demo CAE pretraining config shrunk for fault tests: 2 dataloader
# workers, batch 2 (4 iterations per epoch on the 8-image tiny set), one
# checkpoint kept, every iteration's loss recorded (tests/data/fault_hooks.py
# found through PYTHONPATH=tests/data).
_base_ = ['../../../configs/cae/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py']

custom_imports = dict(imports=['fault_hooks'], allow_failed_imports=False)
# the faults are off (0) until a test sets e.g. custom_hooks.1.at_iter=7
custom_hooks = [
    dict(type='mmcae.LossRecordHook'),
    dict(type='mmcae.KillAtIterHook', at_iter=0),
    dict(type='mmcae.KillDuringSaveHook', at_save=0),
    dict(type='mmcae.InjectNaNHook', at_iter=0),
]

train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        _delete_=True,
        type='CustomDataset',
        data_root='PLEASE_SET_data_root',
        pipeline={{_base_.train_pipeline}}))
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=4, eta_min=1e-5, by_epoch=True,
         begin=0, end=4, convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=4)
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=1),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
visualizer = dict(type='UniversalVisualizer', vis_backends=[])
model = dict(backbone=dict(drop_path_rate=0.1))
