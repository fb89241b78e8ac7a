# Table 1 "Conv Layer": the MAE baseline with one learned 5 x 5 convolution
# in place of the 8 decoder blocks.
_base_ = ['./mae_vit-base-p16_8xb128-amp-coslr-100e_in1k.py']

model = dict(neck=dict(
    _delete_=True, type='mmcae.MAEConvDecoder', num_patches=196,
    patch_size=16, in_chans=3, embed_dim=768, decoder_embed_dim=512,
    kernel_size=5))
