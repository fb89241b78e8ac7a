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
SEG = 'configs/cae/fpn_vit-tiny-p8_1xb4-200i_demo-ade20k.py'


def test_tool_prints_the_built_models_parameters():
    result = run_python_tool('tools/analysis_tools/get_flops.py', TINY,
                             '--shape', '64', '64')
    assert result.returncode == 0, result.stderr[-2000:]
    model = build_model(Config.fromfile(f'{REPO_ROOT}/{TINY}'),
                        random_init=False)
    params = sum(p.numel() for p in model.parameters())
    printed = re.search(r'model: .* parameters ([\d,]+)', result.stdout)
    assert int(printed.group(1).replace(',', '')) == params
    assert '1 x 3 x 64 x 64' in result.stdout
    # the whole model first, the encoder on the second line
    lines = result.stdout.splitlines()
    assert lines[1].lstrip().startswith('model:'), result.stdout
    assert lines[2].lstrip().startswith('encoder:'), result.stdout


def test_help_text_on_every_argument():
    import runpy
    tool = runpy.run_path(f'{REPO_ROOT}/tools/analysis_tools/get_flops.py')
    actions = tool['build_parser']()._actions
    assert {a.dest for a in actions} >= {'config', 'shape', 'cfg_options'}
    assert all(action.help for action in actions), [
        action.dest for action in actions if not action.help]


def test_whole_model_counts_the_heads():
    """A segmentation model: neck and decode head add to the encoder's
    FLOPs; the parameters split the same way."""
    cfg = Config.fromfile(f'{REPO_ROOT}/{SEG}')
    info = model_complexity(cfg, (64, 64))
    assert info['model_flops'] > 1.2 * info['flops'], info
    assert info['params'] > info['encoder_params']
    assert model_complexity(cfg, (64, 64), whole_model=False)[
        'model_flops'] is None


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
