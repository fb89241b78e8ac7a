# ccMIM ViT-B/16, 800 epochs (Table 1 row "ccMIM, 800 epochs", FT 84.2),
# with the formulas as printed in the paper where the official code (our
# default) differs: the importance of a patch
# is [CLS]'s attention to it (Sec. 3.2, q_0 K^T: 'cls_to_patch'), and
# InfoNCE also divides by the visible-visible similarities (Eq. 7). On the
# demo set the printed importance closed an adversarial loop ([CLS] looks
# at the patches that identify the image, which are then masked) that made
# the contrastive term rise and the [CLS] linear probe fall below a random
# encoder's (mmcae/models/selfsup/ccmim.py).
_base_ = ['./ccmim_vit-base-p16_32xb32-amp-coslr-800e_in1k.py']

model = dict(
    attention_direction='cls_to_patch',
    align_head=dict(intra_negatives=True))
