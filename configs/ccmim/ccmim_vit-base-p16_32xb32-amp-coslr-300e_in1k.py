# ccMIM ViT-B/16 pretraining with the App. C recipe (notes: README.md).
_base_ = [
    '../_base_/datasets/imagenet_ccmim.py',
    '../_base_/models/ccmim_vit-base-p16.py',
    '../_base_/schedules/ccmim_adamw_coslr.py',
]
