# Quickstart, step 3c: UperNet semantic segmentation on the 'medium' demo
# ADE20K set (1 200 training scenes, 200 for validation): the demo UperNet
# config (configs/cae/upernet_vit-tiny-p8_1xb4-200i_demo-ade20k.py: the
# paper configs' pyramid neck, UPerHead + auxiliary FCNHead, AdamW with
# layer decay 0.65, warmup then poly, sliding-window inference) for 100
# iterations with 10 warmup, data loaded in the training process (one core
# per run). Random encoder by default; the quickstart loads the published
# encoder with
#   --cfg-options model.backbone.init_cfg._delete_=True \
#       model.backbone.init_cfg.type=Pretrained \
#       model.backbone.init_cfg.checkpoint=PATH
_base_ = ['../cae/upernet_vit-tiny-p8_1xb4-200i_demo-ade20k.py']

max_iters, warmup_iters = 100, 10
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='PolyLR', eta_min=0.0, power=1.0, by_epoch=False,
         begin=warmup_iters, end=max_iters),
]
train_dataloader = dict(num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
