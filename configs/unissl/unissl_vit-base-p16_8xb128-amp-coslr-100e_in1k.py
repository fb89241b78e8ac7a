# Uni-SSL ViT-B/16, 100 epochs on ImageNet-1k: the paper's main model
# (Table 2: FT 82.7, linear probe 61.3; K = 5, S = 80; Table 3 / 4 report
# 82.6 for the same setting). Batch 8 x 128 = 1024, AdamW, lr 5e-4 x 1024 /
# 256, 10 warmup epochs, cosine.
#   bash tools/dist_train.sh \
#       configs/unissl/unissl_vit-base-p16_8xb128-amp-coslr-100e_in1k.py 8
_base_ = [
    '../_base_/models/unissl_vit-base-p16.py',
    '../_base_/datasets/imagenet_unissl.py',
    '../_base_/schedules/unissl_adamw_coslr.py',
]
