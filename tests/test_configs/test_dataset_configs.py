"""The dataset bases in configs/_base_/datasets: every one parses and states
the recipe's facts; the demo bases (and, with data_root pointed at the demo
data, the real ones) build their datasets in the framework's own registry
scope and run one sample through their pipelines, on demo data generated
for the session."""
import copy
import importlib
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from PIL import Image

from mmcae.datasets.demo import CATEGORIES, CLASS_NAMES, SIZES, make_demo_data

from tests.helpers import REPO_ROOT

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets')
SMALL = SIZES['small']
NUM_CLS_TRAIN = SMALL.cls_train_per_class * len(CLASS_NAMES)  # 48
NUM_CLS_VAL = SMALL.cls_val_per_class * len(CLASS_NAMES)  # 16
#: the ADE20K label ids (after reduce_zero_label) the demo scenes use
DEMO_ADE_IDS = {c.ade20k_index for c in CATEGORIES}
IGNORE_INDEX = 255

CONFIGS = [
    'imagenet_bs64.py', 'demo_imagenet.py', 'ade20k_512x512.py',
    'demo_ade20k.py', 'coco_instance_ms.py', 'demo_coco_instance.py'
]


@pytest.fixture(scope='session')
def demo_root(tmp_path_factory) -> str:
    """The 'small' demo sets (64 px classes, 128 px scenes)."""
    root = str(tmp_path_factory.mktemp('demo'))
    make_demo_data(root, seed=0, size='small')
    return root


def load(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIG_DIR, name))


def build_dataset(scope: str, dataset_cfg, **overrides):
    """Build ``dataset_cfg`` (updated with ``overrides``) with ``scope``'s
    DATASETS registry while ``scope`` is the default scope, as its runner
    would."""
    dataset_cfg = copy.deepcopy(dataset_cfg)
    dataset_cfg.update(overrides)
    datasets = importlib.import_module(f'{scope}.registry').DATASETS
    with DefaultScope.overwrite_default_scope(scope):
        return datasets.build(dataset_cfg)


def find(pipeline, transform_type: str) -> dict:
    matches = [t for t in pipeline if t['type'] == transform_type]
    assert len(matches) == 1, (transform_type, pipeline)
    return matches[0]


def loader_facts(cfg: Config):
    """Both dataloaders' dataset types and the test = val convention."""
    assert cfg.test_dataloader == cfg.val_dataloader
    assert cfg.test_evaluator == cfg.val_evaluator
    assert cfg.train_dataloader.dataset.type == cfg.dataset_type
    assert cfg.val_dataloader.dataset.type == cfg.dataset_type


@pytest.mark.parametrize('name', CONFIGS)
def test_parses_without_default_scope(name):
    cfg = load(name)
    # a dataset base is inherited by configs of any framework
    assert 'default_scope' not in cfg
    loader_facts(cfg)
    types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert types[0] == 'LoadImageFromFile'
    assert types[-1].startswith('Pack')


# ------------------------------------------------------------- mmpretrain
def imagenet_facts(cfg: Config, crop: int, resize: int):
    train = cfg.train_pipeline
    assert [t['type'] for t in train] == [
        'LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'PackInputs'
    ]
    crop_cfg = find(train, 'RandomResizedCrop')
    assert (crop_cfg.scale, crop_cfg.backend,
            crop_cfg.interpolation) == (crop, 'pillow', 'bicubic')
    assert find(train, 'RandomFlip').prob == 0.5
    test = cfg.test_pipeline
    assert [t['type'] for t in test] == [
        'LoadImageFromFile', 'ResizeEdge', 'CenterCrop', 'PackInputs'
    ]
    edge = find(test, 'ResizeEdge')
    assert (edge.scale, edge.edge, edge.backend,
            edge.interpolation) == (resize, 'short', 'pillow', 'bicubic')
    assert find(test, 'CenterCrop').crop_size == crop
    assert cfg.data_preprocessor.mean == [123.675, 116.28, 103.53]
    assert cfg.data_preprocessor.std == [58.395, 57.12, 57.375]
    assert cfg.data_preprocessor.to_rgb is True
    assert cfg.train_dataloader.dataset.split == 'train'
    assert cfg.val_dataloader.dataset.split == 'val'
    assert cfg.train_dataloader.sampler == dict(
        type='DefaultSampler', shuffle=True)
    assert cfg.val_dataloader.sampler.shuffle is False
    assert cfg.val_evaluator == dict(type='Accuracy', topk=(1, 5))


def test_imagenet_bs64(demo_root):
    cfg = load('imagenet_bs64.py')
    imagenet_facts(cfg, crop=224, resize=256)
    assert cfg.dataset_type == 'ImageNet'
    assert cfg.data_root == 'data/imagenet'
    assert cfg.data_preprocessor.num_classes == 1000
    assert cfg.train_dataloader.batch_size == 64
    assert cfg.train_dataloader.num_workers == 5
    assert 'metainfo' not in cfg.train_dataloader.dataset
    # the real pipelines run, on the demo images (upscaled from 64 px)
    root = osp.join(demo_root, 'imagenet')
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        dataset = build_dataset('mmpretrain', loader.dataset, data_root=root)
        assert len(dataset.metainfo['classes']) == 1000
        assert dataset[0]['inputs'].shape == (3, 224, 224)


def test_demo_imagenet(demo_root):
    cfg = load('demo_imagenet.py')
    imagenet_facts(cfg, crop=224, resize=256)
    assert cfg.metainfo.classes == tuple(CLASS_NAMES)
    assert cfg.data_root == 'data/demo/imagenet'
    assert cfg.data_preprocessor.num_classes == len(CLASS_NAMES) == 8
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.train_dataloader.num_workers == 2

    # the 'small' set at the sizes of demo_imagenet_64px.py
    cfg.merge_from_dict({
        'train_dataloader.dataset.pipeline.1.scale': 64,
        'val_dataloader.dataset.pipeline.1.scale': 73,
        'val_dataloader.dataset.pipeline.2.crop_size': 64,
    })
    root = osp.join(demo_root, 'imagenet')
    train = build_dataset(
        'mmpretrain', cfg.train_dataloader.dataset, data_root=root)
    val = build_dataset(
        'mmpretrain', cfg.val_dataloader.dataset, data_root=root)
    assert (len(train), len(val)) == (NUM_CLS_TRAIN, NUM_CLS_VAL)
    for dataset, count in ((train, NUM_CLS_TRAIN), (val, NUM_CLS_VAL)):
        assert dataset.metainfo['classes'] == tuple(CLASS_NAMES)
        # the generator labels image i with class i % 8
        labels = [
            int(dataset.get_data_info(i)['gt_label']) for i in range(count)
        ]
        assert labels == [i % len(CLASS_NAMES) for i in range(count)]
    # train images sit in a folder named after their class
    info = train.get_data_info(9)
    assert osp.basename(osp.dirname(info['img_path'])) == CLASS_NAMES[1]

    for dataset, index in ((train, 3), (val, 5)):
        sample = dataset[index]
        assert sample['inputs'].shape == (3, 64, 64)
        label = sample['data_samples'].gt_label.tolist()
        assert label == [index % len(CLASS_NAMES)]


# ------------------------------------------------------------------ mmseg
def ade_facts(cfg: Config, crop, scale):
    assert cfg.dataset_type == 'ADE20KDataset'
    assert cfg.crop_size == crop
    train = cfg.train_pipeline
    assert [t['type'] for t in train] == [
        'LoadImageFromFile', 'mmcae.LoadSegAnnotations', 'RandomResize',
        'RandomCrop', 'RandomFlip', 'PhotoMetricDistortion', 'PackSegInputs'
    ]
    # mmseg's LoadAnnotations that refuses a label map of the wrong size
    assert find(train, 'mmcae.LoadSegAnnotations').reduce_zero_label is True
    resize = find(train, 'RandomResize')
    assert (resize.scale, resize.ratio_range,
            resize.keep_ratio) == (scale, (0.5, 2.0), True)
    random_crop = find(train, 'RandomCrop')
    assert (random_crop.crop_size, random_crop.cat_max_ratio) == (crop, 0.75)
    assert find(train, 'RandomFlip').prob == 0.5
    test = cfg.test_pipeline
    assert [t['type'] for t in test] == [
        'LoadImageFromFile', 'Resize', 'mmcae.LoadSegAnnotations',
        'PackSegInputs'
    ]
    assert find(test, 'Resize').scale == scale
    assert find(test, 'Resize').keep_ratio is True
    assert find(test, 'mmcae.LoadSegAnnotations').reduce_zero_label is True
    for loader, split in ((cfg.train_dataloader, 'training'),
                          (cfg.val_dataloader, 'validation')):
        assert loader.dataset.reduce_zero_label is True
        assert loader.dataset.data_prefix == dict(
            img_path=f'images/{split}', seg_map_path=f'annotations/{split}')
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.train_dataloader.sampler.type == 'InfiniteSampler'
    assert cfg.val_dataloader.batch_size == 1
    assert cfg.val_evaluator == dict(type='IoUMetric', iou_metrics=['mIoU'])


def expected_labels(png_path: str) -> np.ndarray:
    """reduce_zero_label by hand: 0 -> 255, v -> v - 1."""
    raw = np.asarray(Image.open(png_path)).astype(np.int64)
    return np.where(raw == 0, IGNORE_INDEX, raw - 1)


def test_ade20k_512x512(demo_root):
    cfg = load('ade20k_512x512.py')
    ade_facts(cfg, crop=(512, 512), scale=(2048, 512))
    assert cfg.data_root == 'data/ade/ADEChallengeData2016'
    # the real train pipeline runs, on the demo scenes
    dataset = build_dataset(
        'mmseg',
        cfg.train_dataloader.dataset,
        data_root=osp.join(demo_root, 'ade20k'))
    assert len(dataset) == SMALL.scene_train
    sample = dataset[0]
    # 128 px upscaled to a short side of 256..1024, then cropped
    assert sample['inputs'].shape[0] == 3
    assert 256 <= min(sample['inputs'].shape[1:]) <= 512
    assert max(sample['inputs'].shape[1:]) <= 512


def test_demo_ade20k(demo_root):
    cfg = load('demo_ade20k.py')
    ade_facts(cfg, crop=(128, 128), scale=(320, 160))
    assert cfg.data_root == 'data/demo/ade20k'

    root = osp.join(demo_root, 'ade20k')
    train = build_dataset(
        'mmseg', cfg.train_dataloader.dataset, data_root=root)
    val = build_dataset('mmseg', cfg.val_dataloader.dataset, data_root=root)
    assert (len(train), len(val)) == (SMALL.scene_train, SMALL.scene_val)
    for dataset in (train, val):
        # the ADE20K label space, not the 8 demo categories
        assert len(dataset.metainfo['classes']) == 150
        assert dataset.reduce_zero_label is True

    # val: no crop nor flip, labels loaded at the original size
    sample = val[0]
    assert sample['inputs'].shape == (3, 160, 160)  # 128 -> short side 160
    labels = sample['data_samples'].gt_sem_seg.data.numpy()[0]
    assert labels.shape == (SMALL.scene_size, SMALL.scene_size)
    np.testing.assert_array_equal(
        labels, expected_labels(val.get_data_info(0)['seg_map_path']))
    values = set(np.unique(labels).tolist())
    assert IGNORE_INDEX in values and values - {IGNORE_INDEX}
    assert values <= DEMO_ADE_IDS | {IGNORE_INDEX}

    # train: rescaled, cropped to at most 128 x 128, labels follow the image
    sample = train[1]
    _, height, width = sample['inputs'].shape
    assert height <= 128 and width <= 128
    labels = sample['data_samples'].gt_sem_seg.data.numpy()[0]
    assert labels.shape == (height, width)
    values = set(np.unique(labels).tolist())
    assert values <= DEMO_ADE_IDS | {IGNORE_INDEX}
    assert all(0 <= v < 150 for v in values - {IGNORE_INDEX})


# ------------------------------------------------------------------ mmdet
def coco_facts(cfg: Config, scales, test_scale, min_size):
    assert cfg.dataset_type == 'CocoDataset'
    train = cfg.train_pipeline
    assert [t['type'] for t in train] == [
        'LoadImageFromFile', 'LoadAnnotations', 'RandomChoiceResize',
        'RandomFlip', 'PackDetInputs'
    ]
    load_ann = find(train, 'LoadAnnotations')
    assert load_ann.with_bbox is True and load_ann.with_mask is True
    resize = find(train, 'RandomChoiceResize')
    assert [tuple(s) for s in resize.scales] == scales
    assert resize.keep_ratio is True
    assert find(train, 'RandomFlip').prob == 0.5
    test = cfg.test_pipeline
    assert [t['type'] for t in test] == [
        'LoadImageFromFile', 'Resize', 'LoadAnnotations', 'PackDetInputs'
    ]
    assert tuple(find(test, 'Resize').scale) == test_scale
    assert find(test, 'Resize').keep_ratio is True
    assert find(test, 'PackDetInputs').meta_keys == ('img_id', 'img_path',
                                                     'ori_shape', 'img_shape',
                                                     'scale_factor')
    for loader, split in ((cfg.train_dataloader, 'train2017'),
                          (cfg.val_dataloader, 'val2017')):
        assert loader.dataset.ann_file == \
            f'annotations/instances_{split}.json'
        assert loader.dataset.data_prefix == dict(img=f'{split}/')
    assert cfg.train_dataloader.dataset.filter_cfg == dict(
        filter_empty_gt=True, min_size=min_size)
    assert cfg.val_dataloader.dataset.test_mode is True
    assert cfg.train_dataloader.sampler == dict(
        type='DefaultSampler', shuffle=True)
    assert cfg.train_dataloader.batch_sampler == dict(
        type='AspectRatioBatchSampler')
    assert cfg.val_evaluator.type == 'CocoMetric'
    assert cfg.val_evaluator.metric == ['bbox', 'segm']
    assert cfg.val_evaluator.ann_file == \
        cfg.data_root + 'annotations/instances_val2017.json'


def test_coco_instance_ms(demo_root):
    cfg = load('coco_instance_ms.py')
    # BEiT / CAE: short side 480, 512, ..., 800, long side <= 1333
    scales = [(1333, short) for short in range(480, 801, 32)]
    assert scales[0] == (1333, 480) and scales[-1] == (1333, 800)
    coco_facts(cfg, scales, test_scale=(1333, 800), min_size=32)
    assert cfg.data_root == 'data/coco/'
    assert cfg.train_dataloader.batch_size == 2  # x 16 GPUs = 32
    assert 'metainfo' not in cfg.train_dataloader.dataset
    # the real train pipeline runs, on the demo scenes (which hold none of
    # COCO's 80 class names: give it the demo's)
    dataset = build_dataset(
        'mmdet',
        cfg.train_dataloader.dataset,
        data_root=osp.join(demo_root, 'coco'),
        metainfo=dict(classes=CLASS_NAMES))
    sample = dataset[0]
    # square 128 px scenes: short side = the drawn scale (long side <= 1333)
    _, height, width = sample['inputs'].shape
    assert height == width and height in range(480, 801, 32)
    assert sample['data_samples'].gt_instances.masks.masks.shape[1:] == (
        height, width)


def coco_annotations(root: str, split: str):
    with open(osp.join(root, 'annotations', f'instances_{split}.json')) as f:
        return json.load(f)


def test_demo_coco_instance(demo_root):
    cfg = load('demo_coco_instance.py')
    scales = [(427, short) for short in (192, 224, 256)]
    coco_facts(cfg, scales, test_scale=(427, 224), min_size=8)
    assert cfg.data_root == 'data/demo/coco/'
    assert cfg.metainfo.classes == tuple(CLASS_NAMES)
    assert len(cfg.metainfo.palette) == len(CLASS_NAMES)
    assert cfg.train_dataloader.batch_size == 4

    root = osp.join(demo_root, 'coco')
    train = build_dataset(
        'mmdet', cfg.train_dataloader.dataset, data_root=root)
    val = build_dataset('mmdet', cfg.val_dataloader.dataset, data_root=root)
    assert (len(train), len(val)) == (SMALL.scene_train, SMALL.scene_val)
    for dataset in (train, val):
        assert dataset.metainfo['classes'] == tuple(CLASS_NAMES)
        assert len(dataset.metainfo['palette']) == len(CLASS_NAMES)

    for dataset, split in ((train, 'train2017'), (val, 'val2017')):
        sample = dataset[0]
        instances = sample['data_samples'].gt_instances
        _, height, width = sample['inputs'].shape
        if split == 'val2017':
            assert (height, width) == (224, 224)
            # annotations are loaded after Resize: the original size
            height = width = SMALL.scene_size
        else:
            assert height == width and height in range(192, 257, 32)
        # the generator's annotations of that image: category id - 1
        image_id = sample['data_samples'].img_id
        expected = sorted(a['category_id'] - 1
                          for a in coco_annotations(root, split)['annotations']
                          if a['image_id'] == image_id)
        labels = instances.labels.tolist()
        assert sorted(labels) == expected and len(labels) >= 3
        assert all(0 <= label < len(CLASS_NAMES) for label in labels)
        boxes = instances.bboxes.tensor
        assert boxes.shape == (len(labels), 4)
        assert (boxes[:, 2:] > boxes[:, :2]).all()
        assert (boxes >= 0).all() and (boxes[:, 2] <= width).all()
        assert (boxes[:, 3] <= height).all()
        masks = instances.masks.masks
        assert masks.shape == (len(labels), height, width)
        assert (masks.reshape(len(labels), -1).sum(1) > 0).all()
