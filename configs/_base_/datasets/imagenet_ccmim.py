# ImageNet-1k for ccMIM pretraining (mmpretrain's ``ImageNet``, train
# split, labels loaded but unused), batch 32 per GPU (32 GPUs x 32 = the
# paper's batch 1024, App. C). Augmentation: "only use the random resized
# crop" (App. C): RandomResizedCrop(224, scale 0.2-1, bicubic) and a
# horizontal flip, as MAE. One view; the division into the masked and the
# visible set is computed by the model from its own attention.
dataset_type = 'ImageNet'
data_root = 'data/imagenet'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResizedCrop',
        scale=224,
        crop_ratio_range=(0.2, 1.0),
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # stacked batches, as mmpretrain's self-supervised preprocessor expects
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
