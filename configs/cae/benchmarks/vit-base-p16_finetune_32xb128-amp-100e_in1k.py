# Fine-tuning of a CAE-pretrained ViT-B/16 on ImageNet-1k (CAE arXiv 2022 /
# IJCV 2023 Table 1, column FT; "Fine-tuning on ImageNet": BEiT's protocol):
# AdamW, lr 8e-3 at the total batch 4096 (32 GPUs x 128), layer-wise lr decay
# 0.65, weight decay 0.05, 100 epochs, 5 warmup (IJCV; arXiv says 10), drop
# path 0.1 (BEiT / MAE; the papers do not state it), Mixup 0.8 / CutMix 1.0,
# RandAugment, random erasing 0.25, label smoothing 0.1; average-pooled patch
# tokens + LayerNorm.
# Paper top-1: CAE 300 e: 83.3, 800 e: 83.6 (arXiv Table 1).
#   tools/dist_train.sh \
#       configs/cae/benchmarks/vit-base-p16_finetune_32xb128-amp-100e_in1k.py 32 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
# On fewer GPUs keep the lr per sample: add --auto-scale-lr.
_base_ = [
    '../../_base_/models/vit-base-p16_finetune.py',
    '../../_base_/datasets/imagenet_bs64_finetune.py',
    '../../_base_/schedules/finetune_adamw-layer-decay_100e.py',
]

train_dataloader = dict(batch_size=128, drop_last=True)
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader
