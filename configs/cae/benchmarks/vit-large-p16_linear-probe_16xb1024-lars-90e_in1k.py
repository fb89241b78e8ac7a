# Linear probe of a CAE-pretrained ViT-L/16 on ImageNet-1k (CAE arXiv
# 2022 / IJCV 2023 Table 1, column LIN; protocol in App. A / "Training
# Details"): frozen encoder, [CLS] after the final LayerNorm,
# BatchNorm1d(affine=False), linear classifier; LARS, momentum 0.9, lr 6.4
# at the total batch 16384 (16 GPUs x 1024), weight decay 0, 90 epochs,
# 10 warmup; no mixup, cutmix, drop path or color jitter.
# Paper top-1: ViT-L is in the IJCV Table 1 only (see configs/cae/README.md).
#   tools/dist_train.sh \
#       configs/cae/benchmarks/vit-large-p16_linear-probe_16xb1024-lars-90e_in1k.py 16 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
# On fewer GPUs keep the lr per sample: add --auto-scale-lr.
_base_ = [
    '../../_base_/models/vit-base-p16_linear-probe.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/probe_lars_90e.py',
]

model = dict(
    backbone=dict(
        arch='large',
        layer_scale_init_value=1e-5,
        frozen_stages=24,
        init_cfg=dict(checkpoint='weights/cae_vit-large-p16_1600e.pth')),
    neck=dict(input_features=1024),
    head=dict(in_channels=1024))

train_dataloader = dict(batch_size=1024, drop_last=True)
val_dataloader = dict(batch_size=256)
test_dataloader = val_dataloader
