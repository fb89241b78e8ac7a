# Uni-SSL ViT-B/16 with the recipe of Sec. 3: K = 5, S = 80 (notes: README.md).
_base_ = [
    '../_base_/models/unissl_vit-base-p16.py',
    '../_base_/datasets/imagenet_unissl.py',
    '../_base_/schedules/unissl_adamw_coslr.py',
]
