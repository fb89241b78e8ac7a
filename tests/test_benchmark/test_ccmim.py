"""``pretrained_vs_random.py ccmim`` end to end on the small demo set (a
short pretraining, no probes): the run starts from the saved initial
weights, logs both terms every step, and reports the fixed-division losses
of both models."""
import json
import math

import torch

from tests.helpers import run_python_tool


def test_ccmim_demo_short_run(tmp_path, small_demo_imagenet):
    out = tmp_path / 'results.json'
    result = run_python_tool(
        'tools/benchmark/pretrained_vs_random.py', 'ccmim', '--data-root',
        small_demo_imagenet, '--iters', '30', '--skip-probe',
        # 6 steps per epoch of the 48 small-set images (mmengine sleeps 2 s
        # at each epoch end)
        '--batch-size', '8',
        '--eval-images', '64', '--divisions', '1', '--work-dir',
        str(tmp_path / 'work'), '--out', str(out))
    log = result.stdout + result.stderr
    assert result.returncode in (0, 1), log[-3000:]
    summary = json.loads(out.read_text())
    assert summary['logged']['loss_rec']['steps'] == 30
    assert summary['eval_images'] == 16  # the small set's val split
    for model in ('init', 'trained'):
        values = summary['fixed_divisions'][model]
        assert all(math.isfinite(v) for v in values.values()), values
    # the training run started from the saved initial weights
    initial = torch.load(tmp_path / 'work' / 'init.pth', weights_only=True)
    assert initial['meta']['seed'] == 0
    pretrain_log = (tmp_path / 'work' / 'pretrain.log').read_text()
    assert 'init.pth' in pretrain_log  # load_from
    # reconstruction falls within 30 steps; the table names every row
    assert summary['checks']['logged L_rec lower']
    assert summary['checks']['fixed-division L_rec lower']
    assert '| L_NCE, fixed random divisions |' in result.stdout
    assert 'linear probe' not in summary['checks']
