# Quickstart, step 3a: linear probe (LIN) of the quickstart's CAE encoder on
# the 'medium' demo ImageNet set: the demo LIN config
# (configs/cae/benchmarks/vit-tiny-p8_linear-probe_1xb64-lars-20e_demo-in1k.py:
# frozen encoder, [CLS] after the final norm, BatchNorm without affine, a
# linear layer, LARS, 20 epochs with 2 warmup): the linear probe needs its
# 20 epochs (10 gave the 16-epoch CAE encoder 92.8 % top-1, 20 gave 98.5 %;
# the attentive probe saturates in 10). Random encoder by default;
# the quickstart loads the published encoder with
#   --cfg-options model.backbone.init_cfg._delete_=True \
#       model.backbone.init_cfg.type=Pretrained \
#       model.backbone.init_cfg.checkpoint=PATH
_base_ = [
    '../cae/benchmarks/vit-tiny-p8_linear-probe_1xb64-lars-20e_demo-in1k.py'
]

model = dict(backbone=dict(init_cfg=None))
