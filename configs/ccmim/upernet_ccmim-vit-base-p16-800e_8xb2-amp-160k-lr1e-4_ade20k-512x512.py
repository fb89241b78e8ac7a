# UperNet on ADE20K with a ccMIM-pretrained ViT-B/16 (800 epochs).
# Paper: none. ccMIM reports ADE20K with Semantic FPN only (Table 3, the FPN
# config of this folder); no expected number. UperNet is the protocol of the
# CAE / MAE / BEiT papers, for a comparison with their rows: the CAE UperNet
# recipe (512 x 512, 160k iterations, batch 16, AdamW, layer decay 0.65,
# drop path 0.1, warmup 1500 then poly) with ccMIM's MAE-style encoder and
# MAE's lr 1e-4.
#   tools/dist_train.sh configs/ccmim/<this file> 8
_base_ = ['../cae/upernet_cae-vit-base-p16-800e_8xb2-amp-160k-lr3e-4'
          '_ade20k-512x512.py']

model = dict(
    backbone=dict(
        qkv_bias='qkv',
        layer_scale_init_value=0.,
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='weights/ccmim_vit-base-p16_800e.pth')))

optim_wrapper = dict(
    optimizer=dict(lr=1e-4), paramwise_cfg=dict(layer_decay_rate=0.65))
