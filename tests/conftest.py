"""Shared fixtures: the repository root, tiny generated datasets and a
helper that runs the tools in a subprocess, as a user would."""
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
    """Run a command from the repository root; tests/data is importable
    (for custom_imports of test-only modules)."""
    full_env = dict(os.environ)
    full_env['PYTHONPATH'] = os.pathsep.join(
        [TEST_DATA, full_env.get('PYTHONPATH', '')]).rstrip(os.pathsep)
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
