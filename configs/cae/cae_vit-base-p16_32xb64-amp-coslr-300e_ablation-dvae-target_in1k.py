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

data_preprocessor = dict(
    second_mean=[127.5, 127.5, 127.5], second_std=[127.5, 127.5, 127.5])
