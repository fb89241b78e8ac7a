"""Plain helpers shared by the tests (pytest fixtures stay in conftest.py):
the repository root, running the tools in a subprocess as a user would, a
free TCP port, and the tiny ViT used by the parity and conversion tests."""
import os
import os.path as osp
import socket
import subprocess
import sys
from typing import Dict, List, Optional

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

