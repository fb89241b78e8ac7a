"""Plain helpers shared by the tests (pytest fixtures stay in conftest.py):
the repository root, running the tools in a subprocess as a user would, a
free TCP port, the tiny ViT used by the parity and conversion tests, and
the statistics of the official initializations."""
import math
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



#: std of N(0, 0.02) cut at +-0.02, the official CAE ``trunc_normal_``
#: wrapper (Atten4Vis/CAE models/modeling_cae.py lines 12-13):
#: 0.02 * sqrt(1 - 2 phi(1) / (2 Phi(1) - 1))
CUT_NORMAL_STD = 0.02 * math.sqrt(1 - 2 * math.exp(-0.5) / math.sqrt(
    2 * math.pi) / (2 * 0.841345 - 1))


def assert_xavier_uniform(weight, name: str = '') -> None:
    """Xavier-uniform statistics of a weight (a conv weight counts as a
    linear layer over its flattened input): every value within
    b = sqrt(6 / (fan_in + fan_out)) and std b / sqrt(3). The std estimate's
    relative error is about sqrt(0.2 / n), <= 2 % for the widths tested;
    torch's default Linear init (bound 1 / sqrt(fan_in)) and a
    trunc-normal(0.02) init are far off."""
    weight = weight.detach().reshape(weight.shape[0], -1)
    fan_out, fan_in = weight.shape
    bound = math.sqrt(6. / (fan_in + fan_out))
    assert weight.abs().max().item() <= bound * (1 + 1e-6), name
    std = weight.std().item()
    assert abs(std * math.sqrt(3) / bound - 1) < 0.1, (name, std, bound)


def assert_official_cae_init(model, skip: str = 'target_generator') -> int:
    """The official CAE initialization of an ``mmcae.CAE`` (Atten4Vis/CAE
    models/modeling_cae.py ``_init_weights``, applied to the whole model
    last): every Linear Xavier-uniform with a zero bias; the patch
    embedding, [CLS] and the neck's mask token truncated normal std 0.02
    cut at +-0.02. Modules under ``skip`` (the frozen tokenizer) are left
    out.

    Returns:
        int: the number of Linear layers checked.
    """
    import torch
    linears = 0
    for name, module in model.named_modules():
        if name.startswith(skip):
            continue
        if isinstance(module, torch.nn.Linear):
            assert_xavier_uniform(module.weight, name)
            if module.bias is not None:
                assert not module.bias.any(), name
            linears += 1
        elif isinstance(module, torch.nn.LayerNorm):
            assert torch.all(module.weight == 1), name
            assert not module.bias.any(), name
    for name, tensor in (('patch_embed',
                          model.backbone.patch_embed.proj.weight),
                         ('cls_token', model.backbone.cls_token),
                         ('mask_token', model.neck.mask_token)):
        tensor = tensor.detach()
        assert tensor.abs().max().item() <= 0.02, name
        # the std estimate of a few thousand values: within 20 %
        assert abs(tensor.std().item() / CUT_NORMAL_STD - 1) < 0.2, name
    assert not model.backbone.patch_embed.proj.bias.any()
    return linears


def dist_env() -> Dict[str, str]:
    """The environment of a test's ``tools/dist_*.sh`` launch: a free
    port, and no launcher preflight (each rank still runs the check; the
    launcher's own check is tested once, in tests/test_utils/
    test_preflight.py, and costs a framework import per launch)."""
    return {'PORT': str(free_port()), 'PREFLIGHT': '0'}
