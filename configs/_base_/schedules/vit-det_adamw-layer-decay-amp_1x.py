# The 1x fine-tuning schedule of the CAE papers' COCO Mask R-CNN (arXiv 2022
# App. A "Object detection and instance segmentation on COCO"; IJCV 2023
# "Training Details"; the official CAE detection scripts):
#   AdamW, lr 3e-4 (ViT-S / ViT-B; 2e-4 for ViT-L) for the total batch 32,
#   betas (0.9, 0.999), weight decay 0.05 (none for norms, biases, q/v
#   biases, layer-scale gammas, tokens, position and relative position
#   tables), layer-wise lr decay 0.75 (ViT-L 0.8), mixed precision;
#   "the 1x schedule: 12 epochs with the learning rate decayed by 10x at
#   epochs 9 and 11", after mmdet's linear warmup (500 iterations from
#   0.001 x lr, as the official code's mmdet 2 schedule_1x).
# mmdet's schedule_1x is inherited (loops, warmup); the optimizer and the
# milestones (mmdet: 8, 11; CAE: 9, 11) are replaced.
#
# Layer decay (mmcae.LayerDecayOptimWrapperConstructor): a ViT with L
# blocks gives the patch embedding, tokens and position table id 0, block
# i id i + 1 and everything else (pyramid neck, FPN, RPN, RoI heads) id
# L + 1; a parameter of id i trains at lr * rate ** (L + 1 - i).
#
# AMP needs a GPU (mmengine's AmpOptimWrapper); on a CPU override
#   --cfg-options optim_wrapper.type=OptimWrapper
_base_ = 'mmdet::_base_/schedules/schedule_1x.py'

optim_wrapper = dict(
    _delete_=True,
    # dynamic loss scaling (AmpOptimWrapper's default)
    type='AmpOptimWrapper',
    constructor='mmcae.LayerDecayOptimWrapperConstructor',
    optimizer=dict(
        type='AdamW', lr=3e-4, betas=(0.9, 0.999), weight_decay=0.05),
    paramwise_cfg=dict(layer_decay_rate=0.75))

max_epochs = 12
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[9, 11],
        gamma=0.1)
]

# the lr above is for this total batch (8 GPUs x 4 images or 16 x 2);
# tools/train.py --auto-scale-lr rescales it linearly for another one
auto_scale_lr = dict(enable=False, base_batch_size=32)
