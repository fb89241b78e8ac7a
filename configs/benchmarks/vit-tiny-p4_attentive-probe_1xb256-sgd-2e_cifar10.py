# Attentive probe of the protocol's encoder on CIFAR-10 (CAE recipe: frozen
# encoder, one learned query over all tokens, SGD) for 2 epochs.
_base_ = [
    '../_base_/models/vit-base-p16_attentive-probe.py',
    '../_base_/datasets/cifar10_folder.py',
    '../_base_/schedules/probe_sgd_90e.py',
]

img_size, patch_size, depth, embed_dims = 32, 4, 4, 64
max_epochs, warmup_epochs = 2, 1

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=embed_dims, num_layers=depth,
                  num_heads=4, mlp_hidden_dims=256),
        img_size=img_size,
        patch_size=patch_size,
        frozen_stages=depth,
        init_cfg=dict(
            checkpoint='weights/cae_vit-tiny-p4_1xb256-pixel-coslr-5e_'
            'cifar10.pth')),
    head=dict(num_classes=10, in_channels=embed_dims, num_heads=4,
              topk=(1, 5)))

train_dataloader = dict(batch_size=256)
# fp32; the CAE probe's SGD lr 0.4 at batch 8192 would not move in 2 epochs:
# the demo probe's 0.1 at batch 64, scaled to 256
optim_wrapper = dict(type='OptimWrapper', _delete_=True,
                     constructor='mmcae.ProbeOptimWrapperConstructor',
                     optimizer=dict(type='SGD', lr=0.4, momentum=0.9,
                                    weight_decay=0.),
                     paramwise_cfg=dict(frozen_prefix='backbone'))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=0., by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
randomness = dict(seed=0)
auto_scale_lr = dict(base_batch_size=256)
