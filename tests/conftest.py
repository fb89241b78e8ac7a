"""Shared fixtures: the repository root, tiny generated datasets and a
helper that runs the tools in a subprocess, as a user would."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys
from typing import Dict, List, Optional

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TEST_DATA = osp.join(REPO_ROOT, 'tests', 'data')


def run_cmd(args: List[str],
            env: Optional[Dict[str, str]] = None,
            timeout: int = 300) -> subprocess.CompletedProcess:
    """Run a command from the repository root. The checkout's mmcae comes
    first on the path (not whatever copy is installed), and tests/data is
    importable (for custom_imports of test-only modules)."""
    full_env = dict(os.environ)
    full_env['PYTHONPATH'] = os.pathsep.join(
        [REPO_ROOT, TEST_DATA,
         full_env.get('PYTHONPATH', '')]).rstrip(os.pathsep)
    full_env.setdefault('OMP_NUM_THREADS', '1')
    full_env.update(env or {})
    return subprocess.run(
        args,
        cwd=REPO_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout)


def run_python_tool(script: str, *args: str, **kwargs):
    return run_cmd([sys.executable, script, *args], **kwargs)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


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


# ---- shared by the ViT parity and checkpoint-conversion tests ----
#: a 2-block, 32-d ViT in mmcae.ViT and mmpretrain arch notation
TINY_VIT = dict(embed_dims=32, num_layers=2, num_heads=2, mlp_hidden_dims=128)
TINY_VIT_MMPRETRAIN = dict(
    embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=128)


def perturb(model, seed: int = 0):
    """Add N(0, 0.05) noise to every parameter in place, so that no weight
    keeps a trivial init (ones, zeros) that would hide a mix-up."""
    import torch
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn(param.shape, generator=generator) * 0.05)
    return model


def assert_parity(ours, theirs, tolerance: float = 1e-5) -> None:
    """Same shape and max abs difference below ``tolerance`` (float32)."""
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    difference = (ours - theirs).abs().max().item()
    assert difference < tolerance, difference


def config_header(path: str) -> str:
    """The leading comment block of a config file, as one line."""
    lines = []
    with open(path) as f:
        for line in f:
            if not line.startswith('#'):
                break
            lines.append(line[1:].strip())
    return ' '.join(lines)
