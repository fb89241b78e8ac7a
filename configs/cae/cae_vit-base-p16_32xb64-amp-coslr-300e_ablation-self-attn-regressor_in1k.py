# IJCV variant: a regressor of self-attention over the visible latents and the
# mask queries (both updated) instead of cross-attention; no number is given.
_base_ = './cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(neck=dict(regressor_type='self_attention'))
