# The ViT-B COCO detection recipe of CAE under the short name of
# the design notes (the detection twin of vitb_upernet_ade20k.py):
# exactly mask-rcnn_cae-vit-base-p16-300e_8xb4-amp-1x_coco.py, i.e. CAE IJCV
# 2023 Table 3 (ViT-B, CAE 300 epochs) with the papers' fine-tuning recipe:
# Mask R-CNN + FPN on a ViT-B/16 (block outputs 3, 5, 7, 11, drop path 0.2,
# pyramid neck), COCO multi-scale training (short side 480-800, long side
# <= 1333), AdamW lr 3e-4, layer decay 0.75, batch 32, 12 epochs with the lr
# divided by 10 at epochs 9 and 11, mixed precision.
#
# The pretrained encoder defaults to weights/cae_vit-base-p16_300e.pth, the
# output of
#   python tools/model_converters/convert_checkpoint.py \
#       work_dirs/cae_vit-base-p16_32xb64-amp-coslr-300e_in1k/epoch_300.pth \
#       weights/cae_vit-base-p16_300e.pth
# Any ViT-B checkpoint the converter reads (CAE, BEiT, MAE, mmpretrain, ...)
# works, unconverted too:
#   tools/dist_train.sh configs/cae/vitb_mask-rcnn_1x_coco.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
_base_ = ['./mask-rcnn_cae-vit-base-p16-300e_8xb4-amp-1x_coco.py']
