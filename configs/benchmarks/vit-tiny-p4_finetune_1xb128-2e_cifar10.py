# Fine-tuning of the protocol's encoder on CIFAR-10 (CAE / BEiT recipe:
# relative position bias, mean-pooled tokens, layer decay) for 2 epochs.
_base_ = [
    '../_base_/models/vit-base-p16_finetune.py',
    '../_base_/datasets/cifar10_folder.py',
    '../_base_/schedules/finetune_adamw-layer-decay_100e.py',
]

img_size, patch_size, depth, embed_dims = 32, 4, 4, 64
max_epochs, warmup_epochs = 2, 1

model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=embed_dims, num_layers=depth,
                  num_heads=4, mlp_hidden_dims=256),
        img_size=img_size,
        patch_size=patch_size,
        drop_path_rate=0.1,
        init_cfg=dict(
            checkpoint='weights/cae_vit-tiny-p4_1xb256-pixel-coslr-5e_'
            'cifar10.pth')),
    head=dict(num_classes=10, in_channels=embed_dims, topk=(1, 5)),
    # no Mixup / CutMix: they pay off over long schedules, not 2 epochs
    train_cfg=None)

# fp32; AdamW 2e-3 at batch 128 (the recipe's 8e-3 at 4096 scaled linearly
# would barely move in 2 epochs)
optim_wrapper = dict(
    type='OptimWrapper', _delete_=True,
    constructor='mmcae.LayerDecayOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=2e-3, betas=(0.9, 0.999),
                   weight_decay=0.05),
    paramwise_cfg=dict(layer_decay_rate=0.65))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=max_epochs, max_keep_ckpts=1, save_best=None))
auto_scale_lr = dict(base_batch_size=128)
