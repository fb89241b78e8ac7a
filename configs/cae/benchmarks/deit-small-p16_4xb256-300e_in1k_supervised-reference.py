# Supervised reference for the attentive-probing column: DeiT-S (ViT-S/16)
# trained from scratch on ImageNet-1k with labels (CAE arXiv 2022 Table 1,
# row "DeiT", ViT-S, column ATT: 79.9).
# The paper's caption: "we report the top-1 accuracy (in the column ATT) of
# the supervised training approach DeiT to show how far our ATT score is
# from supervised training": the 79.9 is DeiT's own ImageNet top-1, no
# probe (compare with CAE ViT-S 300 e: ATT 64.8,
# vit-small-p16_attentive-probe_8xb1024-sgd-90e_in1k.py).
#
# mmpretrain's DeiT-S recipe as it is (mmpretrain::deit/
# deit-small_4xb256_in1k.py): AdamW, lr 1e-3 at the total batch 1024 (4 GPUs
# x 256; DeiT's 5e-4 x batch / 512), weight decay 0.05, 300 epochs, cosine,
# RandAugment, random erasing 0.25, Mixup 0.8 / CutMix 1.0, label smoothing
# 0.1, [CLS] token classifier; 20 warmup epochs (mmpretrain's; DeiT's paper
# says 5), no drop path and no EMA for the small model (mmpretrain's note).
# mmpretrain's model zoo reports 80.69 top-1 for this config.
#   tools/dist_train.sh \
#       configs/cae/benchmarks/deit-small-p16_4xb256-300e_in1k_supervised-reference.py 4
# On other GPU counts keep the lr per sample: add --auto-scale-lr.
_base_ = 'mmpretrain::deit/deit-small_4xb256_in1k.py'
