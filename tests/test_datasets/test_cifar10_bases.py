"""configs/_base_/datasets/cifar10_folder.py and cifar10_official.py read the
same CIFAR-10 images, with the same labels, into the same normalized RGB
tensors: tiny copies of both layouts made in tmp_path (never the real
data; no network)."""
import copy
import io
import os
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from PIL import Image

from tests.helpers import REPO_ROOT

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets')
CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
           'horse', 'ship', 'truck')
#: images per class and split: every class folder must exist (see
#: test_folder_needs_every_class_folder)
PER_CLASS = dict(train=2, test=1)


def _images(split: str):
    """[(RGB uint8 HWC 32x32 image, label)], class-major (the order of the
    folder dataset: sorted class folders, sorted file names). Smooth
    content with distinct channels, so that a BGR / RGB mix-up moves every
    pixel far more than JPEG's error on it."""
    rng = np.random.default_rng(0 if split == 'train' else 1)
    yy, xx = np.mgrid[0:32, 0:32]
    samples = []
    for label in range(len(CLASSES)):
        for _ in range(PER_CLASS[split]):
            # R around 190, G 128, B 60 (each +-10), gradients within
            # -32..+30 levels: R exceeds B by 40+ levels in every pixel
            base = np.array([190, 128, 60]) + rng.integers(-10, 11, 3)
            slope = rng.integers(-1, 2, (3, 2))
            image = np.stack([
                base[c] + slope[c, 0] * (yy - 16) + slope[c, 1] * (xx - 16)
                for c in range(3)], axis=-1)
            samples.append((image.astype(np.uint8), label))
    return samples


def _write_folder(root: str, jpeg: bool) -> None:
    """train|test/<class>/NNNN.jpg. With ``jpeg`` False the files hold PNG
    bytes under the .jpg names: CustomDataset selects files by extension
    and OpenCV decodes by content, so the pixels arrive exactly as written
    and the comparison with the pickle layout can be exact (real CIFAR-10
    image-folder copies are JPEGs: the ``jpeg`` layout checks those within
    JPEG's error)."""
    for split in PER_CLASS:
        counts = {}
        for image, label in _images(split):
            folder = osp.join(root, split, CLASSES[label])
            os.makedirs(folder, exist_ok=True)
            index = counts.setdefault(label, 0)
            counts[label] += 1
            buffer = io.BytesIO()
            if jpeg:
                Image.fromarray(image).save(buffer, format='JPEG',
                                            quality=95, subsampling=0)
            else:
                Image.fromarray(image).save(buffer, format='PNG')
            with open(osp.join(folder, f'{index:04d}.jpg'), 'wb') as f:
                f.write(buffer.getvalue())


def _write_official(root: str) -> None:
    """cifar-10-batches-py/: data_batch_1..5, test_batch, batches.meta as
    the python version pickles them (rows of 3072 bytes: the R, G and B
    planes, row-major; 'labels' a list of ints)."""
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder)

    def dump(name, samples):
        data = np.stack([image.transpose(2, 0, 1).reshape(-1)
                         for image, _ in samples]).astype(np.uint8)
        entry = {'batch_label': name, 'data': data,
                 'labels': [label for _, label in samples],
                 'filenames': [f'{i}.png' for i in range(len(samples))]}
        with open(osp.join(folder, name), 'wb') as f:
            pickle.dump(entry, f)

    train = _images('train')
    for batch in range(5):  # 20 images, 4 a batch, in order
        dump(f'data_batch_{batch + 1}', train[batch * 4:(batch + 1) * 4])
    dump('test_batch', _images('test'))
    with open(osp.join(folder, 'batches.meta'), 'wb') as f:
        pickle.dump({'label_names': list(CLASSES), 'num_cases_per_batch': 4,
                     'num_vis': 3072}, f)


@pytest.fixture
def no_md5(monkeypatch):
    """mmpretrain's CIFAR10 checks every batch file's md5 against the
    official archive (and downloads it when a check fails: download=True is
    its default); it has no option to skip the check, but its code skips it
    for an entry whose md5 is None, so the test files go without: the
    class attributes are patched for this test only."""
    from mmpretrain.datasets import CIFAR10
    monkeypatch.setattr(CIFAR10, 'train_list',
                        [[name, None] for name, _ in CIFAR10.train_list])
    monkeypatch.setattr(CIFAR10, 'test_list',
                        [[name, None] for name, _ in CIFAR10.test_list])
    monkeypatch.setattr(CIFAR10, 'meta', dict(CIFAR10.meta, md5=None))


def _load(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIG_DIR, name))


def _build(dataset_cfg, **overrides):
    """Build like an mmpretrain runner (mmpretrain's DATASETS, default
    scope mmpretrain)."""
    from mmpretrain.registry import DATASETS
    dataset_cfg = copy.deepcopy(dataset_cfg)
    dataset_cfg.update(overrides)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(dataset_cfg)


def _preprocess(cfg: Config, sample: dict) -> torch.Tensor:
    """The base's data_preprocessor (as ImageClassifier builds it) on one
    packed sample: the normalized 3x32x32 tensor."""
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        preprocessor = MODELS.build(
            dict(type='ClsDataPreprocessor', **cfg.data_preprocessor))
    batch = preprocessor(
        dict(inputs=[sample['inputs']],
             data_samples=[sample['data_samples']]), False)
    return batch['inputs'][0]


def _split_datasets(name: str, root: str):
    cfg = _load(name)
    return cfg, {
        'train': _build(cfg.train_dataloader.dataset, data_root=root),
        'test': _build(cfg.test_dataloader.dataset, data_root=root)}


def _check_split(cfg, datasets):
    """Sample counts, labels, and one sample through each pipeline."""
    for split, dataset in datasets.items():
        expected = _images(split)
        assert len(dataset) == len(expected)
        assert dataset.metainfo['classes'] == CLASSES
        assert [dataset.get_data_info(i)['gt_label']
                for i in range(len(dataset))] == [
                    label for _, label in expected]
        sample = dataset[len(dataset) - 1]
        assert sample['inputs'].shape == (3, 32, 32)
        assert sample['data_samples'].gt_label.tolist() == [expected[-1][1]]
        assert _preprocess(cfg, sample).shape == (3, 32, 32)


def test_bases_agree(tmp_path, no_md5):
    """Both layouts: counts, labels, and the same normalized RGB tensor for
    every test image (exact: PNG content under the .jpg names)."""
    folder_root, official_root = str(tmp_path / 'f'), str(tmp_path / 'o')
    _write_folder(folder_root, jpeg=False)
    _write_official(official_root)
    folder_cfg, folder = _split_datasets('cifar10_folder.py', folder_root)
    official_cfg, official = _split_datasets('cifar10_official.py',
                                             official_root)
    assert folder_cfg.data_preprocessor.to_rgb is True
    assert official_cfg.data_preprocessor.to_rgb is False
    _check_split(folder_cfg, folder)
    _check_split(official_cfg, official)
    mean = torch.tensor(folder_cfg.data_preprocessor.mean).view(3, 1, 1)
    std = torch.tensor(folder_cfg.data_preprocessor.std).view(3, 1, 1)
    for i, (image, _) in enumerate(_images('test')):
        a = _preprocess(folder_cfg, folder['test'][i])
        b = _preprocess(official_cfg, official['test'][i])
        rgb = torch.from_numpy(image).permute(2, 0, 1).float()
        torch.testing.assert_close(a, b, rtol=0, atol=0)
        torch.testing.assert_close(a, (rgb - mean) / std)


def test_jpeg_folder_close_to_official(tmp_path, no_md5):
    """Real JPEG files (quality 95, no chroma subsampling): within JPEG's
    error of the pickle's tensor. The bound, 6 grey levels of the worst
    pixel on smooth gradients (the encoder's error here is at most 3), is
    far below what a channel mix-up would give: R and B differ by more
    than 40 levels in every pixel by construction."""
    _write_folder(str(tmp_path / 'f'), jpeg=True)
    _write_official(str(tmp_path / 'o'))
    folder_cfg, folder = _split_datasets('cifar10_folder.py',
                                         str(tmp_path / 'f'))
    official_cfg, official = _split_datasets('cifar10_official.py',
                                             str(tmp_path / 'o'))
    std = torch.tensor(folder_cfg.data_preprocessor.std).view(3, 1, 1)
    for i in range(len(official['test'])):
        a = _preprocess(folder_cfg, folder['test'][i])
        b = _preprocess(official_cfg, official['test'][i])
        levels = ((a - b) * std).abs().max().item()
        assert levels <= 6, (i, levels)


def test_folder_needs_every_class_folder(tmp_path):
    """With the 10-class ``classes`` tuple, mmpretrain's CustomDataset
    takes the labels from the SORTED folder names and only checks their
    count: a layout missing a class folder is refused (it would otherwise
    shift every later label)."""
    for name in CLASSES[:3]:
        folder = tmp_path / 'train' / name
        os.makedirs(folder)
        Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(
            folder / '0000.jpg')
    cfg = _load('cifar10_folder.py')
    with pytest.raises(AssertionError, match=r'subfolders \(3\)'):
        _build(cfg.train_dataloader.dataset, data_root=str(tmp_path))


def test_preflight_accepts_official_layout(tmp_path):
    """tools/train.py's data check reads the CIFAR10 dataset as
    data_root/cifar-10-batches-py (not data_root/<split>, as for
    mmpretrain's ImageNet)."""
    from mmcae.utils.preflight import find_problems
    _write_official(str(tmp_path))
    cfg = _load('cifar10_official.py')
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].dataset.data_root = str(tmp_path)
    assert find_problems(cfg, check_weights=False) == []
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'elsewhere')
    os.makedirs(tmp_path / 'elsewhere')
    problems = find_problems(cfg, check_weights=False)
    assert len(problems) == 1 and 'cifar-10-batches-py' in problems[0]
