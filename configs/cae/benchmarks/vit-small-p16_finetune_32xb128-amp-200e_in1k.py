# Fine-tuning of a CAE-pretrained ViT-S/16 on ImageNet-1k (CAE arXiv 2022 /
# IJCV 2023 Table 1, column FT; "Fine-tuning on ImageNet": BEiT's protocol):
# AdamW, lr 1.6e-2 at the total batch 4096 (32 GPUs x 128), layer-wise lr decay
# 0.75, weight decay 0.05, 200 epochs, 5 warmup (IJCV; arXiv says 10), drop
# path 0.1 (BEiT / MAE; the papers do not state it), Mixup 0.8 / CutMix 1.0,
# RandAugment, random erasing 0.25, label smoothing 0.1; average-pooled patch
# tokens + LayerNorm.
# Paper top-1: CAE 300 e: 81.8 (arXiv Table 1).
#   tools/dist_train.sh \
#       configs/cae/benchmarks/vit-small-p16_finetune_32xb128-amp-200e_in1k.py 32 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
# On fewer GPUs keep the lr per sample: add --auto-scale-lr.
_base_ = [
    '../../_base_/models/vit-base-p16_finetune.py',
    '../../_base_/datasets/imagenet_bs64_finetune.py',
    '../../_base_/schedules/finetune_adamw-layer-decay_100e.py',
]

model = dict(
    backbone=dict(
        arch='small',
        drop_path_rate=0.1,
        init_cfg=dict(checkpoint='weights/cae_vit-small-p16_300e.pth')),
    head=dict(in_channels=384))

train_dataloader = dict(batch_size=128, drop_last=True)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader

optim_wrapper = dict(
    optimizer=dict(lr=1.6e-2),
    paramwise_cfg=dict(layer_decay_rate=0.75))

max_epochs, warmup_epochs = 200, 5
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=1e-6,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
