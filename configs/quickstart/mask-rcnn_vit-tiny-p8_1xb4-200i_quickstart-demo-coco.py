# Quickstart, step 3d: Mask R-CNN on the 'medium' demo COCO set (1 200
# training images, 200 for validation): the demo Mask R-CNN config
# (configs/cae/mask-rcnn_vit-tiny-p8_1xb4-12e_demo-coco.py: ViT -> pyramid
# neck -> FPN -> mmdet's RPN and RoI heads, AdamW with layer decay 0.75,
# multi-scale training) for 200 iterations (batch 4) with the 1x schedule's
# shape: warmup, lr x0.1 at 3/4 and 11/12; data loaded in the training
# process (one core per run); CocoMetric for box and mask AP. Random encoder
# by default; the quickstart loads the published encoder with
#   --cfg-options model.backbone.init_cfg._delete_=True \
#       model.backbone.init_cfg.type=Pretrained \
#       model.backbone.init_cfg.checkpoint=PATH
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
