# The ViT-B ADE20K segmentation recipe of CAE under the short name of the
# design notes (the segmentation twin of vitb_mask-rcnn_1x_coco.py):
# exactly
#   upernet_cae-vit-base-p16-300e_8xb2-amp-160k-lr3e-4_ade20k-512x512.py,
# i.e. CAE IJCV 2023 Table 2 (ADE20K, ViT-B, CAE* 300 epochs; the official
# CAE repository reports 48.1 mIoU for its 300-epoch model with this lr):
# UperNet + auxiliary FCN head on a ViT-B/16 (block outputs 3, 5, 7, 11,
# relative position bias, layer scale, drop path 0.1) with the ViT pyramid
# neck; 512 x 512 crops; AdamW lr 3e-4, layer decay 0.65, batch 16, 160k
# iterations (warmup 1500, then poly), mixed precision; sliding-window
# inference (stride 341), single scale.
#
# The pretrained encoder defaults to weights/cae_vit-base-p16_300e.pth, the
# output of
#   python tools/model_converters/convert_checkpoint.py \
#       work_dirs/cae_vit-base-p16_32xb64-amp-coslr-300e_in1k/epoch_300.pth \
#       weights/cae_vit-base-p16_300e.pth
# Any ViT-B checkpoint the converter reads (CAE, BEiT, MAE, mmpretrain, ...)
# works, unconverted too:
#   tools/dist_train.sh configs/cae/vitb_upernet_ade20k.py 8 \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
# Whole-image instead of sliding-window inference:
#   --cfg-options model.test_cfg.mode=whole \
#       model.data_preprocessor.test_cfg.size_divisor=16
_base_ = ['./upernet_cae-vit-base-p16-300e_8xb2-amp-160k-lr3e-4'
          '_ade20k-512x512.py']
