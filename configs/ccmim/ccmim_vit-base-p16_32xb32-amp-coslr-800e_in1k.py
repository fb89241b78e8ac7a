# ccMIM ViT-B/16, 800 epochs: Table 1 row "ccMIM, 800 epochs", fine-tuning
# top-1 84.2 (Sec. 1 / 4.2: "+0.6 over MAE with 1600 epochs"); the
# encoder of Table 2 (ViT-B 800 epochs, Mask R-CNN), Table 3 (ADE20K,
# Semantic FPN: "+1.7 mIoU over MAE, +0.5 over CAE") and Table 4 (iNat
# 2018 / 2019, Flowers-102). The 300-epoch recipe, 800 epochs, warmup 40.
_base_ = ['./ccmim_vit-base-p16_32xb32-amp-coslr-300e_in1k.py']

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=40, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=760, eta_min=0.,
         by_epoch=True, begin=40, end=800, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=800)
