# ccMIM ViT-B/16, 300 epochs on ImageNet-1k: the recipe of the paper
# (Zhang et al., "Contextual Image Masking Modeling via Synergized
# Contrasting without View Augmentation for Faster and Better Visual
# Pretraining", ICLR 2023), Table 1 row "ccMIM, 300 epochs": fine-tuning
# top-1 83.6 (Sec. 1: "+0.8 over MAE's 82.8"); Table 2 row ViT-B 300
# epochs (Mask R-CNN, "+3.7 AP^b / +2.5 AP^m over MAE"). The ablation
# configs of this folder change one setting of this one.
#   arch          ViT-B/16 encoder (MAE-style), MAE decoder 512-d x 8
#   division      importance sampling, 75 % masked
#   contrast      InfoNCE visible -> masked through the projector, lambda 0.2
#   epochs        300, warmup 40, cosine
#   optimizer     AdamW lr 1.5e-4 x 1024 / 256, betas (0.9, 0.95), wd 0.05
#   augmentation  RandomResizedCrop(224, 0.2-1) + flip only
#   batch         1024 = 32 GPUs x 32 (App. C)
#   tools/dist_train.sh configs/ccmim/<this file> 32
_base_ = [
    '../_base_/datasets/imagenet_ccmim.py',
    '../_base_/models/ccmim_vit-base-p16.py',
    '../_base_/schedules/ccmim_adamw_coslr.py',
]
