_base_ = './cae-arxiv_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(align_weight=0.)
