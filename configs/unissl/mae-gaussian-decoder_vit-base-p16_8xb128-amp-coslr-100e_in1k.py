# MAE ViT-B/16, 100 epochs, with the "Weighted Average" decoder of Uni-SSL
# ("Understanding Masked Autoencoders From a Local Contrastive
# Perspective", Sec. 2.2 and Table 1): fine-tuning top-1 82.5 (the
# transformer decoder of the baseline: 82.9).
#   decoder    mmcae.MAEGaussianDecoder, 512-d: the 8 transformer blocks
#              replaced by a FIXED normalized 2-D Gaussian average (sigma 1,
#              5 x 5 taps: "receptive field about 5 x 5"), renormalized
#              over the in-image taps at the borders, then LayerNorm and
#              one Linear to the pixels (the paper's "single-layer MLP")
#   the rest   the MAE baseline of this folder: mask ratio 0.75, AdamW lr
#              1.5e-4 x 1024 / 256, 20 warmup + cosine, 100 epochs,
#              batch 1024 = 8 GPUs x 128
# Train on 8 GPUs:
#   CONFIG=mae-gaussian-decoder_vit-base-p16_8xb128-amp-coslr-100e_in1k.py
#   bash tools/dist_train.sh configs/unissl/$CONFIG 8
_base_ = ['./mae_vit-base-p16_8xb128-amp-coslr-100e_in1k.py']

model = dict(
    neck=dict(
        _delete_=True,
        type='mmcae.MAEGaussianDecoder',
        num_patches=196,
        patch_size=16,
        in_chans=3,
        embed_dim=768,
        decoder_embed_dim=512,
        sigma=1.0,
        kernel_size=5))
