"""``pretrained_vs_random.py ccmim`` end to end on the small demo set (a
short pretraining, no probes): the run starts from the saved initial
weights, logs both terms every step, and reports the fixed-division losses
of both models. The sub-command runs in this process (the training run is
still a tools/train.py process of its own); the tool's command line is run
for real in test_unissl.py."""
import json
import math

import torch

from mmcae.benchmark import ccmim, cli


def test_ccmim_demo_short_run(tmp_path, small_demo_imagenet, capsys,
                              endless_sampler_config):
    out = tmp_path / 'results.json'
    status = cli.main('pretrained_vs_random.py', 'a tool', {'ccmim': ccmim}, [
        'ccmim', '--data-root', small_demo_imagenet, '--iters', '30',
        '--skip-probe',
        '--config', endless_sampler_config(ccmim.CONFIG),
        '--batch-size', '8',
        '--eval-images', '64', '--divisions', '1', '--work-dir',
        str(tmp_path / 'work'), '--out', str(out)])
    stdout, stderr = capsys.readouterr()
    assert status in (0, 1), (stdout + stderr)[-3000:]
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
    assert '| L_NCE, fixed random divisions |' in stdout
    assert 'linear probe' not in summary['checks']
