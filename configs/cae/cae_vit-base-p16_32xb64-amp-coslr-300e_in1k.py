_base_ = [
    '../_base_/datasets/imagenet_cae.py',
    '../_base_/models/cae_vit-base-p16.py',
    '../_base_/schedules/cae_adamw_coslr.py',
]
