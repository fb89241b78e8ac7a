# Fine-tuning a ccMIM ViT-B/16 on ImageNet-1k (ccMIM Table 1, FT column: 83.6
# after 300 pretraining epochs, 84.2 after 800, Sec. 1 / 4.2). Sec. 4.1: "the
# same hyper-parameter with MAE, i.e., 100 epochs with learning rate 1e-3 and
# 1024 batch size"; the average patch embedding (through fc_norm) feeds the
# classifier. The CAE fine-tuning recipe otherwise (AdamW, layer decay 0.65,
# warmup 5, drop path 0.1, RandAugment, mixup 0.8, cutmix 1.0, label smoothing
# 0.1) with MAE's encoder: one qkv bias, no layer scale, no relative
# position tables.
#   tools/dist_train.sh configs/ccmim/benchmarks/<this file> 32 \
#       --cfg-options \
#       model.backbone.init_cfg.checkpoint=weights/ccmim_vit-base-p16_300e.pth
_base_ = ['../../cae/benchmarks/vit-base-p16_finetune_32xb128-amp-100e'
          '_in1k.py']

model = dict(
    backbone=dict(
        qkv_bias='qkv',
        layer_scale_init_value=0.,
        # MAE's fine-tuning ViT: absolute positions only (the CAE recipe
        # adds zero-initialized relative position tables)
        use_rel_pos_bias=False,
        out_type='avg_featmap',
        init_cfg=dict(checkpoint='weights/ccmim_vit-base-p16_800e.pth')))

train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
auto_scale_lr = dict(base_batch_size=1024)
