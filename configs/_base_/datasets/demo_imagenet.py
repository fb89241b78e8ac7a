# The demo classification set (mmcae.datasets.demo) for mmpretrain: the
# ImageNet layout with 8 classes, read by mmpretrain's ``ImageNet`` dataset.
# Generate it first:
#   python tools/misc/make_demo_data.py --out data/demo --size medium
#
# The crops are sized for the 'medium' set (224 px images). The 'small' set
# (64 px images, CI) takes 64 px crops and a 73 px short side (64 / 0.875),
# either on the command line:
#   --cfg-options train_dataloader.dataset.pipeline.1.scale=64 \
#       val_dataloader.dataset.pipeline.1.scale=73 \
#       val_dataloader.dataset.pipeline.2.crop_size=64 \
#       test_dataloader.dataset.pipeline.1.scale=73 \
#       test_dataloader.dataset.pipeline.2.crop_size=64
# or in a derived config that redefines ``train_pipeline`` / ``test_pipeline``
# and sets ``train_dataloader = dict(dataset=dict(pipeline=train_pipeline))``
# (and the same for val/test): variables of a base are substituted when the
# base is parsed, so redefining only a size variable in a child has no effect.
_base_ = ['./imagenet_bs64.py']

data_root = 'data/demo/imagenet'

# The class names in label order. tests/test_configs/test_dataset_configs.py
# checks that this equals mmcae.datasets.demo.CLASS_NAMES.
metainfo = dict(
    classes=('ball', 'box', 'tent', 'flag', 'clock', 'plate', 'signboard',
             'flower'))

# ImageNet mean / std kept (ImageNet-pretrained weights see the statistics
# they expect); the pipelines are the ImageNet ones (224 px crops).
data_preprocessor = dict(num_classes=8)

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(data_root=data_root, metainfo=metainfo))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(data_root=data_root, metainfo=metainfo))
test_dataloader = val_dataloader
# top-5 of 8 classes is nearly always right; it is kept so that demo runs
# log the same keys as ImageNet runs (val_evaluator from the base)
