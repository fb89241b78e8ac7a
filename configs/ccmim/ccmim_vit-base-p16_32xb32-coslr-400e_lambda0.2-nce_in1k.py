# The recipe at 400 epochs (lambda 0.2, L_NCE): the parent of the lambda
# sweep (Sec. 4.3) and of Table 5 at 400 epochs.
_base_ = ['./ccmim_vit-base-p16_32xb32-coslr-300e_in1k.py']

param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=40, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=360, eta_min=0.,
         by_epoch=True, begin=40, end=400, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=400)
