# Linear probe of a CAE-pretrained ViT-B/16 on ImageNet-1k (CAE arXiv
# 2022 / IJCV 2023 Table 1, column LIN; protocol in App. A / "Training
# Details"): frozen encoder, [CLS] after the final LayerNorm,
# BatchNorm1d(affine=False), linear classifier; LARS, momentum 0.9, lr 6.4
# at the total batch 16384 (16 GPUs x 1024), weight decay 0, 90 epochs,
# 10 warmup; no mixup, cutmix, drop path or color jitter.
# Paper top-1: CAE 300 e: 64.2, 800 e: 68.3 (arXiv Table 1).
#   tools/dist_train.sh \
#       configs/cae/benchmarks/vit-base-p16_linear-probe_16xb1024-lars-90e_in1k.py 16 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
# On fewer GPUs keep the lr per sample: add --auto-scale-lr.
_base_ = [
    '../../_base_/models/vit-base-p16_linear-probe.py',
    '../../_base_/datasets/imagenet_bs64.py',
    '../../_base_/schedules/probe_lars_90e.py',
]

train_dataloader = dict(batch_size=1024, drop_last=True)
val_dataloader = dict(batch_size=256)
test_dataloader = val_dataloader
