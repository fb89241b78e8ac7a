# MAE ViT-B/16, 100 epochs, with the "Conv Layer" decoder of Uni-SSL
# ("Understanding Masked Autoencoders From a Local Contrastive
# Perspective", Sec. 2.2 and Table 1): fine-tuning top-1 82.9, the same as
# the transformer decoder of the baseline (82.9).
#   decoder    mmcae.MAEConvDecoder, 512-d: the 8 transformer blocks
#              replaced by one learned Conv2d(512, 512, 5, padding 2) on the
#              14 x 14 patch grid; MAE's LayerNorm + pixel Linear stay as
#              the predictor
#   the rest   the MAE baseline of this folder: mask ratio 0.75, AdamW lr
#              1.5e-4 x 1024 / 256, 20 warmup + cosine, 100 epochs,
#              batch 1024 = 8 GPUs x 128
# Train on 8 GPUs:
#   CONFIG=mae-conv5x5-decoder_vit-base-p16_8xb128-amp-coslr-100e_in1k.py
#   bash tools/dist_train.sh configs/unissl/$CONFIG 8
_base_ = ['./mae_vit-base-p16_8xb128-amp-coslr-100e_in1k.py']

model = dict(
    neck=dict(
        _delete_=True,
        type='mmcae.MAEConvDecoder',
        num_patches=196,
        patch_size=16,
        in_chans=3,
        embed_dim=768,
        decoder_embed_dim=512,
        kernel_size=5))
