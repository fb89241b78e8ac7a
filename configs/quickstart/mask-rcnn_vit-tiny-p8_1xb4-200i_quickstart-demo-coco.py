# Quickstart step 3d: the demo Mask R-CNN for 200 iterations with the 1x
# schedule's shape; random encoder unless the quickstart passes one.
_base_ = ['../cae/mask-rcnn_vit-tiny-p8_1xb4-12e_demo-coco.py']

max_iters, warmup_iters = 200, 20
train_cfg = dict(
    _delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
    val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[max_iters * 3 // 4, max_iters * 11 // 12], gamma=0.1),
]
train_dataloader = dict(num_workers=0, persistent_workers=False)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False, window_size=10)
