# DINO with two crops, ViT-B/16, 100 epochs: the contrastive baseline of
# Uni-SSL's Table 2 ("DINO 100 e, 2 crops": FT 81.8, linear probe 68.1;
# DINO 300 e with 12 crops: 82.8 / 78.2). "Shares the same network
# architecture and data augmentation with Uni-SSL": the same encoder,
# projection head, loss (temperatures 0.1 / 0.04, centre momentum 0.9),
# EMA teacher, two overlapping views and schedule; the difference is what is
# contrasted: the [CLS] token of each whole view (both cross-view pairs)
# instead of K x K local points, and no pixel term.
#   bash tools/dist_train.sh \
#       configs/unissl/dino_vit-base-p16_8xb128-amp-coslr-100e_2crops_in1k.py 8
_base_ = [
    '../_base_/models/dino_vit-base-p16.py',
    '../_base_/datasets/imagenet_unissl.py',
    '../_base_/schedules/unissl_adamw_coslr.py',
]
