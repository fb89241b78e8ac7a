# Table 2's "Random Init" row: the same fine-tuning from a randomly
# initialized ViT-B/16 (no pretrained encoder).
_base_ = ['./vit-base-p16_finetune_8xb128-amp-100e_in1k.py']

# The paper's ViT-B is DeiT's timm ViT: linear layers, [CLS] and the learned
# position table truncated normal std 0.02 ('trunc_normal', as also DINO's
# vision_transformer.py lines 161-172). Its patch embedding keeps torch's
# Conv2d default there; 'trunc_normal' makes it Xavier-uniform as a linear
# layer.
model = dict(backbone=dict(init_cfg=None, init_scheme='trunc_normal'))
