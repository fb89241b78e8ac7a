# CAE's Mask R-CNN recipe with ccMIM's MAE-style encoder, ccMIM Sec. 4.2's lr
# and layer decay; drop path 0.2 as the CAE IJCV text ccMIM copies (README.md).
_base_ = ['../cae/mask-rcnn_cae-vit-base-p16-300e_8xb4-amp-1x_coco.py']

model = dict(backbone=dict(
    qkv_bias='qkv', layer_scale_init_value=0., drop_path_rate=0.2,
    init_cfg=dict(checkpoint='weights/ccmim_vit-base-p16_300e.pth')))

optim_wrapper = dict(
    optimizer=dict(lr=3e-4), paramwise_cfg=dict(layer_decay_rate=0.75))
