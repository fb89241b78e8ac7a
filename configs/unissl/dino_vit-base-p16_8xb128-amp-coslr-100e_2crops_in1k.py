# The DINO baseline of Table 2: Uni-SSL's network, views and schedule,
# contrasting the [CLS] token of the two views.
_base_ = [
    '../_base_/models/dino_vit-base-p16.py',
    '../_base_/datasets/imagenet_unissl.py',
    '../_base_/schedules/unissl_adamw_coslr.py',
]
