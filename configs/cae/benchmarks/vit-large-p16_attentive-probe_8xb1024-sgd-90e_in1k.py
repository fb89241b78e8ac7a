# Attentive probe of a CAE-pretrained ViT-L/16 on ImageNet-1k (CAE arXiv
# 2022 / IJCV 2023 Table 1, column ATT; protocol in App. A / "Training
# Details"): frozen encoder; one learned query token, one cross-attention
# unit over the encoder's tokens (LayerNorms on q, k, v; no residual, no
# MLP), BatchNorm1d(affine=False), linear classifier; SGD, momentum 0.9,
# lr 0.4 at the total batch 8192 (8 GPUs x 1024), weight decay 0, 90
# epochs, 10 warmup; no mixup, cutmix, drop path or color jitter.
# Paper top-1: ViT-L is in the IJCV Table 1 only (see configs/cae/README.md).
#   tools/dist_train.sh \
#       configs/cae/benchmarks/vit-large-p16_attentive-probe_8xb1024-sgd-90e_in1k.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
# On fewer GPUs keep the lr per sample: add --auto-scale-lr.
_base_ = [
    '../../_base_/models/vit-base-p16_attentive-probe.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/probe_sgd_90e.py',
]

model = dict(
    backbone=dict(
        arch='large',
        layer_scale_init_value=1e-5,
        frozen_stages=24,
        init_cfg=dict(checkpoint='weights/cae_vit-large-p16_1600e.pth')),
    head=dict(in_channels=1024, num_heads=16))

train_dataloader = dict(batch_size=1024, drop_last=True)
val_dataloader = dict(batch_size=256)
test_dataloader = val_dataloader
