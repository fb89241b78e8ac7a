# Uni-SSL ViT-B/16 100 e with 48 x 48-px pixel targets (Table 4: S = 80 /
# 48 / 16 give FT 82.6 / 82.1 / 81.7, windows of 5 / 3 / 1 tokens; S = 80
# is the default config of this folder). The pixel predictor is
# Linear(768 -> 3 x 48 x 48).
#   bash tools/dist_train.sh \
#       configs/unissl/unissl_vit-base-p16_8xb128-amp-coslr-100e_s48_in1k.py 8
_base_ = ['./unissl_vit-base-p16_8xb128-amp-coslr-100e_in1k.py']

model = dict(pixel_window=48)
