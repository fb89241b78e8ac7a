# The 800-epoch recipe with the printed formulas: [CLS] -> patch importance
# (Sec. 3.2) and Eq. 7's visible-visible negatives (see README.md).
_base_ = ['./ccmim_vit-base-p16_32xb32-amp-coslr-800e_in1k.py']

model = dict(
    attention_direction='cls_to_patch',
    align_head=dict(intra_negatives=True))
