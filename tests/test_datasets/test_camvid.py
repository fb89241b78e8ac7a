"""CamVidDataset and configs/_base_/datasets/camvid.py on a tiny SegNet
layout made in tmp_path (never the real data)."""
import copy
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from PIL import Image

from mmcae.datasets import CamVidDataset
from mmcae.utils.errors import UserError

from tests.helpers import REPO_ROOT

BASE = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', 'camvid.py')
H, W = 12, 16
#: split -> file stems, listed in this (not sorted) order in the lists
SPLITS = dict(train=['0001TP_b', '0001TP_a', 'Seq05VD_c'],
              val=['0016E5_a', '0016E5_b'],
              test=['0001TP_z', '0001TP_y', 'Seq05VD_x', 'Seq05VD_w'])
CLASSES = ('sky', 'building', 'pole', 'road', 'pavement', 'tree',
           'signsymbol', 'fence', 'car', 'pedestrian', 'bicyclist')


def _label(index: int) -> np.ndarray:
    """A label map holding every value 0-11 (11 = void), shifted per
    sample so that each file differs."""
    values = (np.arange(H * W) + index) % 12
    return values.reshape(H, W).astype(np.uint8)


@pytest.fixture
def camvid(tmp_path):
    """The SegNet layout: {split}/X.png, {split}annot/X.png, {split}.txt;
    returns the root and {(split, stem): written label map}."""
    root = tmp_path / 'CamVid'
    labels = {}
    rng = np.random.default_rng(0)
    index = 0
    for split, stems in SPLITS.items():
        os.makedirs(root / split)
        os.makedirs(root / f'{split}annot')
        lines = []
        for stem in stems:
            image = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
            Image.fromarray(image).save(root / split / f'{stem}.png')
            label = _label(index)
            index += 1
            Image.fromarray(label, mode='L').save(
                root / f'{split}annot' / f'{stem}.png')
            labels[(split, stem)] = label
            lines.append(f'/SegNet/CamVid/{split}/{stem}.png '
                         f'/SegNet/CamVid/{split}annot/{stem}.png\n')
        (root / f'{split}.txt').write_text(''.join(lines))
    return str(root), labels


def _build(dataset_cfg, **overrides):
    """Build like an mmseg runner: mmseg's DATASETS, default scope mmseg
    (the base names the class 'mmcae.CamVidDataset')."""
    from mmseg.registry import DATASETS
    dataset_cfg = copy.deepcopy(dataset_cfg)
    dataset_cfg.update(overrides)
    with DefaultScope.overwrite_default_scope('mmseg'):
        return DATASETS.build(dataset_cfg)


def _expected(gt: np.ndarray) -> np.ndarray:
    out = gt.copy()
    out[gt == 11] = 255
    return out


def test_base_config_facts():
    cfg = Config.fromfile(BASE)
    assert 'default_scope' not in cfg
    assert cfg.dataset_type == 'mmcae.CamVidDataset'
    assert cfg.crop_size == (360, 360)
    assert cfg.train_dataloader.dataset.ann_file == 'train.txt'
    assert cfg.val_dataloader.dataset.ann_file == 'test.txt'
    assert cfg.test_dataloader == cfg.val_dataloader
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.val_dataloader.batch_size == 1
    assert cfg.val_evaluator == dict(type='IoUMetric', iou_metrics=['mIoU'])
    for pipeline in (cfg.train_pipeline, cfg.test_pipeline):
        load = [t for t in pipeline if t['type'] == 'mmcae.LoadSegAnnotations']
        assert load == [dict(type='mmcae.LoadSegAnnotations',
                             reduce_zero_label=False)]


@pytest.mark.parametrize('loader,split', [('train_dataloader', 'train'),
                                          ('val_dataloader', 'test'),
                                          ('val_dataloader', 'val')])
def test_splits_from_base_config(camvid, loader, split):
    root, labels = camvid
    cfg = Config.fromfile(BASE)
    overrides = dict(data_root=root)
    if split == 'val':
        overrides['ann_file'] = 'val.txt'
    dataset = _build(cfg[loader].dataset, **overrides)
    stems = SPLITS[split]
    assert len(dataset) == len(stems)
    assert dataset.metainfo['classes'] == CLASSES
    assert len(dataset.metainfo['palette']) == 11
    # the list's order, the last two components joined to data_root
    for i, stem in enumerate(stems):
        info = dataset.get_data_info(i)
        assert info['img_path'] == osp.join(root, split, f'{stem}.png')
        assert info['seg_map_path'] == osp.join(root, f'{split}annot',
                                                f'{stem}.png')
    if loader == 'val_dataloader':
        # the real test pipeline (Resize to 480x360 keeps the labels at
        # the original size: they are loaded after it)
        for i, stem in enumerate(stems):
            sample = dataset[i]
            gt = sample['data_samples'].gt_sem_seg.data.numpy()[0]
            np.testing.assert_array_equal(gt,
                                          _expected(labels[(split, stem)]))
            assert sample['inputs'].shape[0] == 3


def test_label_map_loads_void_as_ignore(camvid):
    """The train pipeline's loader alone: the raw map, 11 -> 255, 0-10
    unchanged."""
    root, labels = camvid
    cfg = Config.fromfile(BASE)
    load_only = cfg.train_pipeline[:2]
    dataset = _build(cfg.train_dataloader.dataset, data_root=root,
                     pipeline=load_only)
    assert dataset.label_map == {11: 255}
    assert dataset.metainfo['reduce_zero_label'] is False
    for i, stem in enumerate(SPLITS['train']):
        results = dataset[i]
        gt = results['gt_seg_map']
        written = labels[('train', stem)]
        assert set(np.unique(written)) == set(range(12))
        np.testing.assert_array_equal(gt, _expected(written))
        assert results['img'].shape == (H, W, 3)
    # the full train pipeline runs
    sample = _build(cfg.train_dataloader.dataset, data_root=root)[0]
    assert sample['inputs'].shape[0] == 3


def test_other_values_stay(tmp_path):
    """A value outside 0-11 (not in SegNet's data) is not remapped."""
    for folder in ('train', 'trainannot'):
        os.makedirs(tmp_path / folder)
    Image.fromarray(np.zeros((H, W, 3), np.uint8)).save(tmp_path / 'train' /
                                                        'a.png')
    label = np.full((H, W), 11, np.uint8)
    label[0, :3] = (0, 10, 40)
    Image.fromarray(label, mode='L').save(tmp_path / 'trainannot' / 'a.png')
    (tmp_path / 'train.txt').write_text(
        '/SegNet/CamVid/train/a.png /SegNet/CamVid/trainannot/a.png\n')
    cfg = Config.fromfile(BASE)
    dataset = _build(cfg.train_dataloader.dataset, data_root=str(tmp_path),
                     pipeline=cfg.train_pipeline[:2])
    gt = dataset[0]['gt_seg_map']
    assert gt[0, :3].tolist() == [0, 10, 40]
    assert (gt[1:] == 255).all()


def test_class_subset_keeps_void_ignored(camvid):
    root, labels = camvid
    dataset = CamVidDataset(
        data_root=root, ann_file='train.txt',
        metainfo=dict(classes=('road', 'car')),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='mmcae.LoadSegAnnotations')])
    assert dataset.label_map[11] == 255
    assert dataset.label_map[3] == 0 and dataset.label_map[8] == 1
    assert dataset.metainfo['palette'] == [[128, 64, 128], [64, 0, 128]]
    gt = dataset[0]['gt_seg_map']
    written = labels[('train', SPLITS['train'][0])]
    assert set(np.unique(gt)) == {0, 1, 255}
    assert (gt[written == 3] == 0).all() and (gt[written == 8] == 1).all()


def test_no_ann_file_pairs_by_data_prefix(camvid):
    root, _ = camvid
    cfg = Config.fromfile(BASE)
    dataset = _build(cfg.train_dataloader.dataset, data_root=root,
                     ann_file='',
                     data_prefix=dict(img_path='test',
                                      seg_map_path='testannot'))
    stems = sorted(SPLITS['test'])
    assert len(dataset) == len(stems)
    for i, stem in enumerate(stems):
        info = dataset.get_data_info(i)
        assert info['img_path'] == osp.join(root, 'test', f'{stem}.png')
        assert info['seg_map_path'] == osp.join(root, 'testannot',
                                                f'{stem}.png')
        assert info['label_map'] == {11: 255}
    # the default data_prefix is the train split
    assert len(CamVidDataset(data_root=root)) == len(SPLITS['train'])


def test_missing_file_named_with_line(camvid):
    root, _ = camvid
    os.remove(osp.join(root, 'testannot', f"{SPLITS['test'][2]}.png"))
    cfg = Config.fromfile(BASE)
    with pytest.raises(UserError) as info:
        _build(cfg.val_dataloader.dataset, data_root=root)
    message = str(info.value)
    list_file = osp.join(root, 'test.txt')
    missing = osp.join(root, 'testannot', f"{SPLITS['test'][2]}.png")
    assert f"'{list_file}', line 3" in message
    assert missing in message and 'label map' in message


def test_malformed_line_named(camvid):
    root, _ = camvid
    list_file = osp.join(root, 'train.txt')
    with open(list_file, 'a') as f:
        f.write('\n/SegNet/CamVid/train/only_one.png\n')
    with pytest.raises(UserError, match=r"train\.txt', line 5: expected two"):
        CamVidDataset(data_root=root, ann_file='train.txt')


def test_missing_list_and_reduce_zero_label(camvid):
    root, _ = camvid
    with pytest.raises(UserError, match='nope.txt'):
        CamVidDataset(data_root=root, ann_file='nope.txt')
    with pytest.raises(UserError, match='reduce_zero_label'):
        CamVidDataset(data_root=root, ann_file='train.txt',
                      reduce_zero_label=True)


def test_preflight_accepts_layout(camvid):
    from mmcae.utils.preflight import find_problems
    root, _ = camvid
    cfg = Config.fromfile(BASE)
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = root
    assert find_problems(cfg, check_weights=False) == []
    os.remove(osp.join(root, 'test.txt'))
    problems = find_problems(cfg, check_weights=False)
    assert len(problems) == 1 and 'test.txt' in problems[0]
    assert 'section "CamVid"' in problems[0]
