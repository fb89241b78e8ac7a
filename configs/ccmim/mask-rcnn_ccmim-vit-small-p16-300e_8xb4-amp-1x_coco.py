# CAE's ViT-S Mask R-CNN recipe with ccMIM's MAE-style ViT-S (6 heads, the
# official ccMIM / MAE ViT-S) and the lr, layer decay, drop path of Sec. 4.2.
_base_ = ['../cae/mask-rcnn_cae-vit-small-p16-300e_8xb4-amp-1x_coco.py']

model = dict(backbone=dict(
    arch='small', qkv_bias='qkv', layer_scale_init_value=0.,
    drop_path_rate=0.1,
    init_cfg=dict(checkpoint='weights/ccmim_vit-small-p16_300e.pth')))

optim_wrapper = dict(
    optimizer=dict(lr=3e-4), paramwise_cfg=dict(layer_decay_rate=0.75))
