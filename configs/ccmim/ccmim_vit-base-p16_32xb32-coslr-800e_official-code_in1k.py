# The official repository as it is now (Sherrylone/ccMIM fdc9096; README.md has
# each choice's commit): lambda 0.1 and the README command's 4 x accumulation.
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-800e_in1k.py']

# engine_pretrain.py since 265273e: loss = l_align * 0.1 + l_rec
model = dict(align_weight=0.1)

# README command: 32 processes x --batch_size 32 x --accum_iter 4, --blr
# 1.5e-4 (lr = blr x 4096 / 256)
optim_wrapper = dict(
    accumulative_counts=4, optimizer=dict(lr=1.5e-4 * 4096 / 256))
