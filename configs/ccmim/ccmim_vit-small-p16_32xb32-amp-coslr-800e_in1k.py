# ccMIM ViT-S/16, 800 epochs. Paper: none (ccMIM reports ViT-S only at 300
# epochs, Table 2); the 800-epoch ViT-B schedule on the ViT-S recipe (warmup
# 40), for a ViT-S encoder as long-trained as the paper's ViT-B one.
_base_ = ['./ccmim_vit-small-p16_32xb32-amp-coslr-300e_in1k.py']

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=40, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=760, eta_min=0.,
         by_epoch=True, begin=40, end=800, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=800)
