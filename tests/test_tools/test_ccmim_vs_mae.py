"""tools/benchmark/ccmim_vs_mae.py with the tiny test size: every row runs
in its own process, times are positive, losses finite, and ccMIM and MAE
have encoders of the same size."""
import json
import math

from ..conftest import run_python_tool


def test_ccmim_vs_mae_rows(tmp_path):
    out = tmp_path / 'result.json'
    result = run_python_tool('tools/benchmark/ccmim_vs_mae.py', '--arch',
                             'test', '--batch', '4', '--iters', '2',
                             '--warmup', '1', '--device', 'cpu', '--out',
                             str(out))
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
