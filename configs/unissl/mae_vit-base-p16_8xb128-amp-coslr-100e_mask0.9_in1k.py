# MAE ViT-B/16, 100 epochs, mask ratio 0.9: one point of the mask-ratio
# sweep of Uni-SSL ("Understanding Masked Autoencoders From a Local
# Contrastive Perspective", Sec. 2.3 "The role of masking", Fig. 3b:
# ratios 0.9, 0.75, 0.6, 0.45 and 0.3). The paper reports only the
# attention distance of these models (Fig. 3b, no accuracy): the larger
# the mask ratio, the larger the attention distance. The 0.75 point is
# the baseline config of this folder (Table 2: FT 82.9, linear 55.4);
# this config differs from it in the mask ratio only.
# Train on 8 GPUs:
#   CONFIG=mae_vit-base-p16_8xb128-amp-coslr-100e_mask0.9_in1k.py
#   bash tools/dist_train.sh configs/unissl/$CONFIG 8
_base_ = ['./mae_vit-base-p16_8xb128-amp-coslr-100e_in1k.py']

model = dict(backbone=dict(mask_ratio=0.9))
