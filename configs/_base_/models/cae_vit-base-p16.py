# CAE with a ViT-B/16 encoder (CAE IJCV 2023, "Experiments" and "Training
# Details"; arXiv 2022 Sec. 4.1): encoder ViT-B (12 blocks, 768-d, 12
# heads) seeing [CLS] + the visible patches, BEiT blocks (q/v biases, layer
# scale 0.1), fixed 2-D sin-cos positions, drop path 0.1 (IJCV; the arXiv
# recipe uses none); latent contextual regressor of 4 cross-attention
# blocks and decoder of 4 self-attention blocks, both 768-d / 12 heads,
# linear head to the 8192 DALL-E tokens; loss = CE + lambda * MSE with
# lambda (align_weight) = 2.
model = dict(
    type='mmcae.CAE',
    backbone=dict(
        type='mmcae.ViT',
        arch='base',
        img_size=224,
        patch_size=16,
        qkv_bias='qv',
        layer_scale_init_value=0.1,
        pos_embed='sincos',
        out_type='raw',
        drop_path_rate=0.1),
    neck=dict(
        type='mmcae.CAENeck',
        embed_dims=768,
        num_heads=12,
        regressor_depth=4,
        decoder_depth=4,
        out_channels=8192,
        mlp_ratio=4.,
        layer_scale_init_value=0.1),
    # The frozen DALL-E encoder (OpenAI's architecture and parameter names;
    # n_hid 256, 4 groups of 2 blocks, vocab 8192, 8x downsampling: 112 px
    # -> 14 x 14 tokens; mmcae.DALLEEncoder computes the same logits as
    # mmpretrain's 'DALL-E', faster, see mmcae/models/tokenizers/base.py).
    # Its weights are NOT downloaded at run time: obtain the encoder as a
    # state dict with OpenAI's names (e.g. mmselfsup's released
    # dalle_encoder.pth, or OpenAI's encoder.pkl converted once with
    #   python tools/model_converters/convert_dalle_encoder.py --trust \
    #       encoder.pkl weights/dalle_encoder.pth
    # ) and put it at weights/dalle_encoder.pth, or point elsewhere with
    #   --cfg-options model.target_generator.init_cfg.checkpoint=PATH
    # (loaded strictly: a file that does not fit is an error, not random
    # targets).
    target_generator=dict(
        type='mmcae.DALLEEncoder',
        init_cfg=dict(
            type='Pretrained', checkpoint='weights/dalle_encoder.pth')),
    target='tokens',
    align_weight=2.)
