"""Shared pytest fixtures: a default-scope guard and tiny generated
datasets (ImageNet, ADE20K and COCO layouts). Plain helpers live in
tests/helpers.py."""
import json
import os

import numpy as np
import pytest
from PIL import Image

@pytest.fixture(autouse=True, scope='session')
def _logger_outside_capsys():
    """mmengine's current logger writes to the ``sys.stdout`` of the moment
    it is made; made in a test that captures output (capsys), it would
    write to a closed stream in every later test. Made here, before any
    test captures, whatever the test order."""
    from mmengine.logging import MMLogger
    MMLogger.get_current_instance()


@pytest.fixture
def mmpretrain_scope():
    """mmpretrain as the default scope for one test, restored afterwards
    (``init_default_scope`` would leak into every later test)."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


@pytest.fixture(scope='session')
def tiny_imagenet(tmp_path_factory) -> str:
    """8 RGB 32x32 PNGs in ImageNet folder layout, 2 classes (dark and
    bright images with noise), made fresh for the test session."""
    root = tmp_path_factory.mktemp('tiny_imagenet')
    rng = np.random.default_rng(0)
    for class_index, name in enumerate(['class_dark', 'class_bright']):
        os.makedirs(root / name)
        for i in range(4):
            base = 60 + 120 * class_index
            pixels = np.clip(base + rng.normal(0, 20, (32, 32, 3)), 0,
                             255).astype(np.uint8)
            Image.fromarray(pixels).save(root / name / f'img_{i}.png')
    return str(root)


def _square_images(rng, count: int, size: int = 64):
    """Yield (image, (x, y, side)): noise with one bright square each."""
    for _ in range(count):
        side = int(rng.integers(20, 36))
        x, y = (int(v) for v in rng.integers(0, size - side, 2))
        pixels = rng.normal(50, 15, (size, size, 3))
        pixels[y:y + side, x:x + side] += 150
        yield np.clip(pixels, 0, 255).astype(np.uint8), (x, y, side)


@pytest.fixture(scope='session')
def tiny_ade(tmp_path_factory) -> str:
    """4 images with one bright square each, and label maps (0 background,
    1 square) in the mmseg layout images/*.png + annotations/*.png."""
    root = tmp_path_factory.mktemp('tiny_ade')
    (root / 'images').mkdir()
    (root / 'annotations').mkdir()
    rng = np.random.default_rng(1)
    for i, (pixels, (x, y, side)) in enumerate(_square_images(rng, 4)):
        labels = np.zeros(pixels.shape[:2], np.uint8)
        labels[y:y + side, x:x + side] = 1
        Image.fromarray(pixels).save(root / 'images' / f'{i}.png')
        Image.fromarray(labels).save(root / 'annotations' / f'{i}.png')
    return str(root)


@pytest.fixture(scope='session')
def tiny_coco(tmp_path_factory) -> str:
    """4 images with one bright square each and a COCO annotations.json
    (one 'square' box per image) in images/ + annotations.json."""
    root = tmp_path_factory.mktemp('tiny_coco')
    (root / 'images').mkdir()
    rng = np.random.default_rng(2)
    images, annotations = [], []
    for i, (pixels, (x, y, side)) in enumerate(_square_images(rng, 4)):
        Image.fromarray(pixels).save(root / 'images' / f'{i}.png')
        images.append(dict(id=i, file_name=f'{i}.png', width=64, height=64))
        annotations.append(
            dict(id=i, image_id=i, category_id=1, iscrowd=0,
                 bbox=[x, y, side, side], area=side * side))
    with open(root / 'annotations.json', 'w') as f:
        json.dump(dict(images=images, annotations=annotations,
                       categories=[dict(id=1, name='square')]), f)
    return str(root)


@pytest.fixture
def engine_tool_in_process(capsys, monkeypatch):
    """Run a tool's entry point (``mmcae.utils.cli.run_train`` /
    ``run_test``) in this process as ``tools/<prog>`` run from the
    repository root would: returns ``(exit status, stdout, stderr)``.

    For runs whose assertions don't need a process of their own (error
    paths, short runs that need no exact numbers): a fresh interpreter per
    run costs seconds of imports. A runner built here makes itself
    mmengine's current default scope, logger, message hub and visualizer;
    each run starts without those of earlier tests, and the earlier ones
    are put back afterwards so that no later test sees the run's."""
    import gc
    import sys

    from mmengine.utils import ManagerMixin

    from mmcae.utils.cli import run_tool
    from tests.helpers import REPO_ROOT, TEST_DATA

    def managers():
        """ManagerMixin classes (each keeps its own instances)."""
        found, todo = [], [ManagerMixin]
        while todo:
            cls = todo.pop()
            found.append(cls)
            todo.extend(cls.__subclasses__())
        return found

    saved = {cls: dict(cls._instance_dict) for cls in managers()}

    def run(entry, *argv: str, prog: str = 'tools/train.py'):
        monkeypatch.chdir(REPO_ROOT)
        monkeypatch.syspath_prepend(TEST_DATA)  # custom_imports of tests
        monkeypatch.setattr(sys, 'argv', [prog, *argv])
        # as in a fresh process: no visualizer, logger or scope of an
        # earlier test (mmengine hands an existing instance of the same
        # name back, e.g. an mmdet visualizer to an mmseg runner)
        for cls in managers():
            cls._instance_dict.clear()
        capsys.readouterr()
        status = run_tool(entry, list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    yield run
    built = False  # a runner makes itself current in these
    for cls in managers():
        built = built or list(cls._instance_dict) != list(saved.get(cls, {}))
        cls._instance_dict.clear()
        cls._instance_dict.update(saved.get(cls, {}))
    if built:
        gc.collect()  # a failed run's dataloader workers end with it


@pytest.fixture(scope='session')
def small_demo_sets(tmp_path_factory) -> str:
    """The 'small' demo sets of seed 0 (ImageNet, ADE20K and COCO layouts;
    mmcae.datasets.demo), written once for the session: tests only read
    them."""
    from mmcae.datasets.demo import make_demo_data
    root = tmp_path_factory.mktemp('small_demo_sets')
    make_demo_data(str(root), seed=0, size='small')
    return str(root)
