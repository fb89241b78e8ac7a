# ImageNet-1k for CAE pretraining (mmpretrain's ``ImageNet`` dataset, train
# split, labels loaded but unused), batch 64 per GPU (32 GPUs x 64 = the
# papers' total batch 2048).
#
# Per image (CAE arXiv 2022 Sec. 4.1 / App. A, IJCV 2023 "Training Details"
# and Sec. 3 "Masking"; the BEiT recipe the papers follow):
#   - horizontal flip, then ONE random resized crop (scale 0.08-1, ratio
#     3/4-4/3) resized twice: 224 px bicubic for the encoder and 112 px
#     lanczos for the DALL-E tokenizer (its 8x downsampling gives the same
#     14 x 14 grid as the encoder's 16 px patches). No color jitter.
#   - a block-wise mask of EXACTLY 98 of the 14 x 14 patches (IJCV, 50 %;
#     the arXiv paper masks 75, see configs/cae/cae-arxiv_*). Changing the
#     count in a derived config means redefining ``train_pipeline`` and
#     ``train_dataloader.dataset.pipeline``: base variables are substituted
#     when the base is parsed.
#
# Layout expected under data_root (as mmpretrain's ImageNet reads it):
#   train/CLASS/*.JPEG, meta/train.txt
dataset_type = 'ImageNet'
data_root = 'data/imagenet'

# Two normalizations (mmpretrain's TwoNormDataPreprocessor computes
# (x - mean) / std per view, after BGR -> RGB):
#   view 0 (encoder): ImageNet mean / std in 0-255;
#   view 1 (tokenizer): DALL-E's input map 0.8 * x / 255 + 0.1, i.e.
#     std = 255 / 0.8 = 318.75 and mean = -0.1 * std = -31.875.
data_preprocessor = dict(
    type='TwoNormDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    second_mean=[-31.875, -31.875, -31.875],
    second_std=[318.75, 318.75, 318.75],
    # images are loaded BGR (cv2); both views are converted to RGB
    to_rgb=True)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # results['img'] becomes [224 px view, 112 px view]
    dict(
        type='RandomResizedCropAndInterpolationWithTwoPic',
        size=224,
        second_size=112,
        interpolation='bicubic',
        second_interpolation='lanczos',
        scale=(0.08, 1.0)),
    # exactly 98 masked patches in every image (the encoder gathers the
    # visible tokens of a batch with one reshape); BEiT's block parameters
    dict(
        type='mmcae.CAEBlockMaskGenerator',
        input_size=14,
        num_masking_patches=98,
        min_num_patches=16),
    dict(type='PackInputs', algorithm_keys=['mask']),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    # stacked batches (one tensor per view), as the preprocessor expects
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
