# MAE ViT-B/16, 100 epochs on ImageNet-1k: the MAE baseline of Uni-SSL
# ("Understanding Masked Autoencoders From a Local Contrastive
# Perspective"), Table 2 row "MAE, 100 epochs, 1 crop": fine-tuning top-1
# 82.9, linear probing top-1 55.4; also Table 1 row "Transformer" (FT 82.9)
# and the 0.75 point of the mask-ratio sweep of Fig. 3b.
#   model      mmpretrain's MAE: ViT-B/16 encoder, 512-d x 8-block decoder,
#              MSE on the per-patch normalized pixels of the masked patches
#   masking    random, ratio 0.75 (Sec. 3, Implementation details)
#   optimizer  AdamW, base lr 1.5e-4 per 256 images: lr = 1.5e-4 x 1024 /
#              256 = 6e-4; betas (0.9, 0.95), wd 0.05 (mmpretrain's MAE)
#   schedule   20 warmup epochs (linear), then cosine to 0, 100 epochs
#   batch      1024 = 8 GPUs x 128 (on another total batch,
#              tools/train.py --auto-scale-lr scales the lr linearly)
# Train on 8 GPUs:
#   CONFIG=mae_vit-base-p16_8xb128-amp-coslr-100e_in1k.py
#   bash tools/dist_train.sh configs/unissl/$CONFIG 8
_base_ = 'mmpretrain::mae/mae_vit-base-p16_8xb512-amp-coslr-300e_in1k.py'

model = dict(
    backbone=dict(mask_ratio=0.75), neck=dict(num_patches=196))

train_dataloader = dict(batch_size=128)

optim_wrapper = dict(optimizer=dict(lr=1.5e-4 * 1024 / 256))

param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-4,
        by_epoch=True,
        begin=0,
        end=20,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=80,
        eta_min=0.,
        by_epoch=True,
        begin=20,
        end=100,
        convert_to_iter_based=True),
]

train_cfg = dict(max_epochs=100)

auto_scale_lr = dict(base_batch_size=1024)
