"""``step_time.py ccmim-vs-mae`` with the tiny test size: every row runs in
its own process, times are positive, losses finite, and ccMIM and MAE have
encoders of the same size."""
import json
import math

from tests.helpers import run_python_tool


def test_ccmim_vs_mae_rows(tmp_path):
    out = tmp_path / 'result.json'
    result = run_python_tool('tools/benchmark/step_time.py', 'ccmim-vs-mae',
                             '--arch', 'test', '--batch', '4', '--iters',
                             '2', '--warmup', '1', '--device', 'cpu',
                             '--out', str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads(out.read_text())['results']
    assert list(rows) == ['mae', 'ccmim', 'ccmim-random', 'ccmim-divide']
    for row in rows.values():
        assert row['median_ms'] > 0 and row['images_per_second'] > 0
        assert row['peak_memory_mb'] > 0
    assert set(rows['mae']['losses']) == {'loss'}
    assert set(rows['ccmim']['losses']) == {'loss_rec', 'loss_align'}
    for name in ('mae', 'ccmim', 'ccmim-random'):
        assert all(math.isfinite(v) for v in rows[name]['losses'].values())
    # the same encoder: MAE's ViT and mmcae.ViT with qkv biases
    assert rows['mae']['encoder_parameters'] == \
        rows['ccmim']['encoder_parameters']
    assert '| ccmim | ' in result.stdout


def test_time_steps_counts_only_the_timed_steps():
    from mmcae.benchmark.step_time import time_steps
    calls = []
    times, peak_mb = time_steps(lambda: calls.append(1), 'cpu', warmup=2,
                                steps=3)
    assert len(calls) == 5 and len(times) == 3
    assert all(t >= 0 for t in times) and peak_mb > 0
