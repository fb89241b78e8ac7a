# Quickstart step 3a: the demo linear probe (20 epochs: README.md); random
# encoder unless the quickstart passes one.
_base_ = [
    '../cae/benchmarks/vit-tiny-p8_linear-probe_1xb64-lars-20e_demo-in1k.py'
]

model = dict(backbone=dict(init_cfg=None))
