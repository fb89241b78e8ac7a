"""tools/analysis_tools/get_flops.py on a tiny config, and the FLOPs of
the attention that mmengine's counter skips."""
import re
import sys

from mmengine.config import Config

from mmcae.analysis import build_model, model_complexity
from mmcae.utils.cli import run_tool
from mmcae.utils.config import load_config

from tests.helpers import REPO_ROOT, run_python_tool

TINY = 'configs/cae/benchmarks/vit-tiny-p8_linear-probe_1xb64-lars-20e_demo-in1k.py'  # noqa: E501


def test_tool_prints_the_built_models_parameters():
    result = run_python_tool('tools/analysis_tools/get_flops.py', TINY,
                             '--shape', '64', '64')
    assert result.returncode == 0, result.stderr[-2000:]
    model = build_model(Config.fromfile(f'{REPO_ROOT}/{TINY}'),
                        random_init=False)
    params = sum(p.numel() for p in model.parameters())
    printed = re.search(r'parameters \(model\):\s+([\d,]+)', result.stdout)
    assert int(printed.group(1).replace(',', '')) == params
    assert '1 x 3 x 64 x 64' in result.stdout


def test_encoder_flops_count_the_attention_products():
    """64 px, 8 px patches: 64 tokens + [CLS]; every matmul by hand."""
    cfg = Config.fromfile(f'{REPO_ROOT}/{TINY}')
    info = model_complexity(cfg, (64, 64))
    tokens, dims, depth, hidden = 65, 64, 4, 256
    per_block = (tokens * dims * 3 * dims  # qkv
                 + 2 * tokens * tokens * dims  # q k^T and attn v
                 + tokens * dims * dims  # projection
                 + 2 * tokens * dims * hidden)  # MLP
    patch_embed = 64 * dims * 3 * 8 * 8
    expected = depth * per_block + patch_embed
    # norms, activations and adds are not counted or are small
    assert abs(info['flops'] - expected) / expected < 0.03, (info, expected)
    assert info['encoder_params'] == sum(
        p.numel()
        for p in build_model(cfg, random_init=False).backbone.parameters())


def test_bad_config_names_the_file(capsys, monkeypatch):
    """In this process: the tool's main reads the config with
    ``load_config`` under ``run_tool``, which prints the user error (the
    command line itself runs in the test above)."""
    monkeypatch.setattr(sys, 'argv', ['get_flops.py'])
    status = run_tool(lambda argv: load_config(argv[0], None),
                      [f'{REPO_ROOT}/configs/cae/no_such_config.py'])
    captured = capsys.readouterr()
    assert status != 0
    assert 'no_such_config.py' in captured.out + captured.err
