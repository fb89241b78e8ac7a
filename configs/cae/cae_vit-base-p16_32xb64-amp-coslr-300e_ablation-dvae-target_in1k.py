# IJCV 2023, Table 8 (reconstruction targets: DALL-E tokens, d-VAE tokens
# trained on ImageNet-1k, RGB pixels; ViT-B, the 300-epoch ablation
# schedule), the "d-VAE" row; also the target of the "CAE" (not "CAE*")
# rows of Table 1. The tokenizer is the "customized" d-VAE of BEiT's code
# (mmcae.DiscreteVAETokenizer: 3 stride-2 layers with residual blocks,
# hidden 256, 8192 tokens, 8x downsampling: 112 px -> 14 x 14), fed the
# 112 px view normalized with mean 0.5 / std 0.5 (BEiT's transform for
# that tokenizer) instead of DALL-E's 0.8 * x + 0.1. Everything else is the
# default row (cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py).
#   arch          ViT-B/16; regressor 4 + decoder 4 blocks, 8192 classes
#   epochs        300, warmup 10; masking 98 of 196
#   target        d-VAE tokens; lambda 2; drop path 0.1, layer scale 0.1
#   batch         2048 = 32 GPUs x 64, lr 1.5e-3
# The d-VAE weights are not downloaded at run time: put the released
# pytorch_model.bin (state dict under 'weights'; its decoder and codebook
# are ignored) or any state dict with its 'encoder.*' keys at
# weights/dvae_tokenizer.pth, or pass
#   --cfg-options model.target_generator.init_cfg.checkpoint=PATH
_base_ = './cae_vit-base-p16_32xb64-amp-coslr-300e_in1k.py'

model = dict(
    target_generator=dict(
        _delete_=True,
        type='mmcae.DiscreteVAETokenizer',
        num_layers=3,
        hidden_dim=256,
        vocab_size=8192,
        init_cfg=dict(
            type='Pretrained', checkpoint='weights/dvae_tokenizer.pth')))

# view 1 (tokenizer): (x / 255 - 0.5) / 0.5, i.e. mean 127.5, std 127.5
data_preprocessor = dict(
    second_mean=[127.5, 127.5, 127.5], second_std=[127.5, 127.5, 127.5])
