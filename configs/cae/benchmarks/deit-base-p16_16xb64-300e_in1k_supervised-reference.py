# Supervised reference for the attentive-probing column: DeiT-B (ViT-B/16)
# trained from scratch on ImageNet-1k with labels (CAE arXiv 2022 Table 1,
# row "DeiT", ViT-B, column ATT: 81.8).
# The paper's caption: "we report the top-1 accuracy (in the column ATT) of
# the supervised training approach DeiT to show how far our ATT score is
# from supervised training": the 81.8 is DeiT's own ImageNet top-1, no
# probe (compare with CAE ViT-B ATT 73.7 (300 e) / 76.0 (800 e),
# vit-base-p16_attentive-probe_8xb1024-sgd-90e_in1k.py).
#
# mmpretrain's DeiT-B recipe as it is (mmpretrain::deit/
# deit-base_16xb64_in1k.py): AdamW, lr 1e-3 at the total batch 1024 (16
# GPUs x 64; DeiT's 5e-4 x batch / 512), weight decay 0.05, 300 epochs,
# cosine, drop path 0.1, RandAugment, random erasing 0.25, Mixup 0.8 /
# CutMix 1.0, label smoothing 0.1, EMA of the weights, [CLS] token
# classifier; 20 warmup epochs (mmpretrain's; DeiT's paper says 5).
# mmpretrain's model zoo reports 81.76 top-1 for this config.
#   tools/dist_train.sh \
#       configs/cae/benchmarks/deit-base-p16_16xb64-300e_in1k_supervised-reference.py 16
# On other GPU counts keep the lr per sample: add --auto-scale-lr.
_base_ = 'mmpretrain::deit/deit-base_16xb64_in1k.py'
