# ccMIM ViT-B/16 pretraining with the App. C recipe, fp32 and lambda 0.2 as the
# paper (the official code: 0.1); notes: README.md.
_base_ = [
    '../_base_/datasets/imagenet_ccmim.py',
    '../_base_/models/ccmim_vit-base-p16.py',
    '../_base_/schedules/ccmim_adamw_coslr.py',
]
