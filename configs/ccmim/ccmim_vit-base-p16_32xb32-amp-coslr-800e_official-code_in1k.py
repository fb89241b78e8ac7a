# ccMIM ViT-B/16, 800 epochs, as the official code runs it where it differs
# from the paper's text (Table 1 row "ccMIM, 800 epochs", FT 84.2, if the
# released code is what produced it): lambda 0.1 (paper 0.2) and no
# projector (the code defines one but its InfoNCE takes the [CLS] outputs).
# Shared with the default configs: the decoder of 8 blocks, the patch ->
# [CLS] attention as importance and InfoNCE without visible-visible
# negatives.
_base_ = ['./ccmim_vit-base-p16_32xb32-amp-coslr-800e_in1k.py']

model = dict(align_weight=0.1, projector=None)
