# The tiny demo Mask R-CNN (mask-rcnn_vit-tiny-p8_1xb4-12e_demo-coco.py)
# started from a pretrained encoder instead of a random one, as the paper
# configs start from a CAE encoder: by default the demo CAE pretraining
# (cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py: 64-d, 4 blocks, 4 heads,
# 8-px patches, 64-px images) converted with
#   python tools/model_converters/convert_checkpoint.py \
#       work_dirs/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k/epoch_10.pth \
#       weights/cae_vit-tiny-p8_demo.pth
# Any checkpoint of that architecture the converter reads works, converted
# or not:
#   python tools/train.py configs/cae/<this file> \
#       --cfg-options model.backbone.init_cfg.checkpoint=PATH
# tools/benchmark/dense_det_demo.py trains this and the random-init config
# for the same number of iterations on the 'medium' demo set.
_base_ = ['./mask-rcnn_vit-tiny-p8_1xb4-12e_demo-coco.py']

model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint='weights/cae_vit-tiny-p8_demo.pth')))
