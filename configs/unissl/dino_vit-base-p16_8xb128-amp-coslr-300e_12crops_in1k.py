# Table 2's "DINO, 300 epochs, 12 crops": DINO's own multi-crop recipe
# (facebookresearch/dino main_dino.py) on the 2-crop baseline's network.
_base_ = ['./dino_vit-base-p16_8xb128-amp-coslr-100e_2crops_in1k.py']

# DataAugmentationDINO (main_dino.py lines 419-465): two 224-px global crops
# of scale (0.4, 1) (--global_crops_scale default, line 108), the first
# always blurred, the second blurred with p 0.1 and solarized with p 0.2;
# 10 local 96-px crops of scale (0.05, 0.4) (line 115), blurred with p 0.5
# (2 + 10 = the paper's 12 crops; the script's default is 8 local crops).
flip_and_color_jitter = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomApply',
         transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                          saturation=0.2, hue=0.1)],
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
]
global_crop = dict(type='RandomResizedCrop', scale=224,
                   crop_ratio_range=(0.4, 1.0), interpolation='bicubic',
                   backend='pillow')
local_crop = dict(type='RandomResizedCrop', scale=96,
                  crop_ratio_range=(0.05, 0.4), interpolation='bicubic',
                  backend='pillow')
blur = dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
            magnitude_std='inf')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView',
         num_views=[1, 1, 10],
         transforms=[
             [global_crop, *flip_and_color_jitter, dict(blur, prob=1.0)],
             [global_crop, *flip_and_color_jitter, dict(blur, prob=0.1),
              dict(type='Solarize', thr=128, prob=0.2)],
             [local_crop, *flip_and_color_jitter, dict(blur, prob=0.5)],
         ]),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

# main_dino.py defaults otherwise (lines 55-105), as the 2-crop baseline's
# schedule already is (lr 5e-4 x batch / 256, 10 warmup epochs, weight
# decay 0.04 -> 0.4, clipping 3, teacher 0.996 -> 1, temperatures 0.1 /
# 0.04, prototypes frozen in epoch 1, fp16), except: 300 epochs, the lr
# ends at --min_lr 1e-6, and every parameter that is neither a bias nor a
# norm weight gets weight decay, [CLS] and the position table included
# (utils.py get_params_groups, lines 632-643).
max_epochs = 300
warmup_epochs = 10
optim_wrapper = dict(
    paramwise_cfg=dict(
        _delete_=True, norm_decay_mult=0., bias_decay_mult=0.))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0,
         end=warmup_epochs, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs,
         eta_min=1e-6, by_epoch=True, begin=warmup_epochs, end=max_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingParamScheduler', param_name='weight_decay',
         eta_min_ratio=10., T_max=max_epochs, by_epoch=True, begin=0,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
