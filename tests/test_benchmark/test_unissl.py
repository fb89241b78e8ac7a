"""``pretrained_vs_random.py unissl`` end to end on the small demo set (a
short pretraining, no probes): the run starts from the saved initial
weights (teacher = student), logs both terms every step, lowers L_pixel,
and evaluates both models on the same fixed view pairs."""
import json
import math

import torch

from mmcae.benchmark import unissl
from tests.helpers import run_python_tool


def test_unissl_demo_short_run(tmp_path, small_demo_imagenet,
                               endless_sampler_config):
    out = tmp_path / 'results.json'
    result = run_python_tool(
        'tools/benchmark/pretrained_vs_random.py', 'unissl', '--data-root',
        small_demo_imagenet, '--iters', '30', '--skip-probe',
        '--config', endless_sampler_config(unissl.CONFIG),
        '--batch-size', '8', '--eval-images', '64', '--work-dir',
        str(tmp_path / 'work'), '--out', str(out))
    log = result.stdout + result.stderr
    assert result.returncode in (0, 1), log[-3000:]
    summary = json.loads(out.read_text())
    assert summary['logged']['loss_pixel']['steps'] == 30
    assert summary['eval_images'] == 16  # the small set's val split
    for model in ('init', 'trained'):
        values = summary['fixed_pairs'][model]
        assert set(values) == {'sim', 'pixel', 'sim_mismatched'}
        assert all(math.isfinite(v) for v in values.values()), values
    # the initial weights: seed 0, teacher = student
    initial = torch.load(tmp_path / 'work' / 'init.pth', weights_only=True)
    assert initial['meta']['seed'] == 0
    state = initial['state_dict']
    student = {k[len('backbone.'):]: v for k, v in state.items()
               if k.startswith('backbone.')}
    teacher = {k[len('teacher.module.0.'):]: v for k, v in state.items()
               if k.startswith('teacher.module.0.')}
    assert student.keys() == teacher.keys() and student
    assert all(torch.equal(student[k], teacher[k]) for k in student)
    assert 'init.pth' in (tmp_path / 'work' / 'pretrain.log').read_text()
    # the pixel term falls within 30 steps, logged and on fixed pairs
    assert summary['checks']['logged L_pixel lower']
    assert summary['checks']['fixed-pair L_pixel lower']
    assert '| L_sim, mismatched pairs |' in result.stdout
    assert 'linear probe: Uni-SSL > random' not in summary['checks']
