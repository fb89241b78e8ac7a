"""``step_time.py ccmim-vs-mae`` with the tiny test size: a row runs in its
own process through the command line, and every row's times are positive,
losses finite, and ccMIM and MAE have encoders of the same size."""
import functools
import json
import math

from mmcae.benchmark import cli, step_time, step_time_ccmim
from tests.helpers import run_python_tool

TINY = ['--arch', 'test', '--batch', '4', '--iters', '2', '--warmup', '1',
        '--device', 'cpu']


def _check_row(row):
    assert row['median_ms'] > 0 and row['images_per_second'] > 0
    assert row['peak_memory_mb'] > 0


def test_the_tool_times_a_row_in_its_own_process(tmp_path):
    # one real command line (the tool, then the row's own interpreter);
    # the other rows are timed in-process below
    out = tmp_path / 'result.json'
    result = run_python_tool('tools/benchmark/step_time.py', 'ccmim-vs-mae',
                             *TINY, '--rows', 'mae', '--out', str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    rows = json.loads(out.read_text())['results']
    assert list(rows) == ['mae'] and rows['mae']['row'] == 'mae'
    _check_row(rows['mae'])
    assert set(rows['mae']['losses']) == {'loss'}
    assert '| mae | ' in result.stdout


def test_ccmim_vs_mae_rows(tmp_path, monkeypatch, capsys):
    out = tmp_path / 'result.json'
    monkeypatch.setattr(step_time, 'run_rows',
                        functools.partial(step_time.run_rows,
                                          in_process=True))
    status = cli.main('step_time.py', 'a tool',
                      {'ccmim-vs-mae': step_time_ccmim},
                      ['ccmim-vs-mae', *TINY, '--out', str(out)])
    assert status == 0
    rows = json.loads(out.read_text())['results']
    assert list(rows) == ['mae', 'ccmim', 'ccmim-random', 'ccmim-divide']
    for row in rows.values():
        _check_row(row)
    assert set(rows['mae']['losses']) == {'loss'}
    assert set(rows['ccmim']['losses']) == {'loss_rec', 'loss_align'}
    for name in ('mae', 'ccmim', 'ccmim-random'):
        assert all(math.isfinite(v) for v in rows[name]['losses'].values())
    # the same encoder: MAE's ViT and mmcae.ViT with qkv biases
    assert rows['mae']['encoder_parameters'] == \
        rows['ccmim']['encoder_parameters']
    assert '| ccmim | ' in capsys.readouterr().out


def test_time_steps_counts_only_the_timed_steps():
    from mmcae.benchmark.step_time import time_steps
    calls = []
    times, peak_mb = time_steps(lambda: calls.append(1), 'cpu', warmup=2,
                                steps=3)
    assert len(calls) == 5 and len(times) == 3
    assert all(t >= 0 for t in times) and peak_mb > 0
