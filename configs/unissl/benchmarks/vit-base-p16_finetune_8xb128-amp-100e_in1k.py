# Fine-tuning a ViT-B/16 pretrained by Uni-SSL, MAE or DINO on ImageNet-1k
# (Uni-SSL Table 2, FT column: Uni-SSL 82.7, MAE 82.9, DINO 2 crops 81.8,
# DINO 12 crops 82.8, random init 78.6; Tables 1, 3 and 4 use the same
# protocol). Sec. 3: "For all the pretrained models, we employed the same
# finetuning strategy": AdamW, 100 epochs, batch 1024, base lr 1e-4 per 256
# images (lr 4e-4), 5 warmup epochs, the globally pooled patch tokens as the
# classifier's input. What the paper leaves open follows the CAE / MAE
# recipe: layer decay 0.65, weight decay 0.05, drop path 0.1, RandAugment,
# mixup 0.8, cutmix 1.0, label smoothing 0.1; the encoder is MAE's (one qkv
# bias, no layer scale, no relative position tables).
#   tools/dist_train.sh configs/unissl/benchmarks/<this file> 8 \
#       --cfg-options \
#       model.backbone.init_cfg.checkpoint=weights/unissl_vit-base-p16_100e.pth
_base_ = ['../../cae/benchmarks/vit-base-p16_finetune_32xb128-amp-100e'
          '_in1k.py']

model = dict(
    backbone=dict(
        qkv_bias='qkv',
        layer_scale_init_value=0.,
        use_rel_pos_bias=False,
        out_type='avg_featmap',
        init_cfg=dict(checkpoint='weights/unissl_vit-base-p16_100e.pth')))

train_dataloader = dict(batch_size=128)
optim_wrapper = dict(optimizer=dict(lr=1e-4 * 1024 / 256))
auto_scale_lr = dict(base_batch_size=1024)
