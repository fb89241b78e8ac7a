"""tools/quickstart.sh end to end in --tiny mode (the small demo set, a few
iterations per step), run once for all the tests of this module. The step
graph, its scheduling and the table are tested on their own in
tests/test_runs/."""
import hashlib
import json
import math
import os.path as osp
import re
import time

import pytest
import torch

from mmcae.runs.scalars import scalar_records
from tests.helpers import run_cmd

#: the training steps and the iterations of their tiny schedule: 2 epochs
#: of ceil(48 small-set images / batch 16), or 6 iterations
TINY_ITERATIONS = {
    f'{kind}_{init}': 6
    for kind in ('lin', 'att', 'seg', 'det')
    for init in ('random', 'pretrained')
}
TINY_ITERATIONS['pretrain'] = 6
#: bound on the mean time of a training iteration, as mmengine measured it
#: in each step's own log: at most about 2 s for the tiny Mask R-CNN on an
#: idle core, 13 s with 5 processes per core; a bound on the work each
#: step did, not on the shared machine's wall clock (process starts and
#: waits for a core are outside it)
SECONDS_PER_ITERATION = 30


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp('quickstart')
    started = time.perf_counter()
    result = run_cmd([
        'bash', 'tools/quickstart.sh', '--tiny', '--work-dir',
        str(root / 'work'), '--data-root',
        str(root / 'data')
    ], timeout=1500)  # a hang guard: a minute or two when the CPU is free
    seconds = time.perf_counter() - started
    return root, result, seconds


def test_tiny_quickstart_runs_every_step_and_prints_finite_numbers(
        tiny_run):
    root, result, seconds = tiny_run
    assert result.returncode == 0, (result.stdout[-3000:] +
                                    result.stderr[-3000:])
    # the tiny mode stays tiny: each training step ran its few iterations,
    # each in the time a tiny model takes
    for name, iterations in TINY_ITERATIONS.items():
        train = [r for r in scalar_records(str(root / 'work' / name))
                 if 'loss' in r]
        assert max(r['step'] for r in train) == iterations, name
        mean = sum(r['time'] for r in train) / len(train)
        assert mean < SECONDS_PER_ITERATION, (
            f'{name}: {mean:.1f} s a training iteration (the whole '
            f'quickstart took {seconds:.0f} s)')
    # the durations that order the next run's steps were recorded
    with open(root / 'work' / 'step_seconds.json') as f:
        recorded = json.load(f)['tiny']
    assert set(TINY_ITERATIONS) <= set(recorded)
    with open(root / 'work' / 'results.json') as f:
        results = json.load(f)
    assert results['mode'] == 'tiny' and results['failed'] == {}
    pretrain = results['pretrain']
    assert math.isfinite(pretrain['first_loss'])
    assert math.isfinite(pretrain['last_loss'])
    assert pretrain['epochs'] == 2
    tasks = [row['task'] for row in results['rows']]
    assert len(tasks) == 5 and any('Linear' in t for t in tasks)
    for row in results['rows']:
        for init in ('pretrained', 'random'):
            value = row[init]
            assert math.isfinite(value) and 0 <= value <= 100, row
    # the printed table holds the same numbers
    printed = result.stdout
    assert 'min in all' in printed
    for row in results['rows']:
        line = next(ln for ln in printed.splitlines()
                    if ln.startswith(f'| {row["task"]} |'))
        assert f'{row["pretrained"]:.2f}' in line
        assert f'{row["random"]:.2f}' in line
    with open(root / 'work' / 'results.md') as f:
        assert f.read().strip() in printed


def test_tiny_quickstart_loads_the_published_encoder(tiny_run):
    """The pretrained runs start from the published encoder, whose name
    carries its hash; the random runs from no checkpoint."""
    root, result, _ = tiny_run
    assert result.returncode == 0
    with open(root / 'work' / 'results.json') as f:
        encoder = json.load(f)['encoder']
    with open(encoder, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    assert osp.basename(encoder) == \
        f'cae_vit-tiny-p8_quickstart-{digest[:8]}.pth'
    state_dict = torch.load(encoder, weights_only=True)['state_dict']
    from mmcae.checkpoint.reader import load_local_checkpoint
    pretrain = load_local_checkpoint(
        open(root / 'work' / 'pretrain' / 'last_checkpoint').read().strip(),
        map_location='cpu')['state_dict']
    assert torch.equal(state_dict['blocks.0.attn.qkv.weight'],
                       pretrain['backbone.blocks.0.attn.qkv.weight'])
    for kind in ('lin', 'att', 'seg', 'det'):
        log = (root / 'work' / 'logs' / f'{kind}_pretrained.log').read_text()
        assert f'init_cfg.checkpoint={encoder}' in log.splitlines()[0]
        # the line of mmcae.checkpoint's ViT loader
        assert re.search(
            rf"loading '{re.escape(encoder)}' \(\w+ layout"
            rf"(, converted from \w+)?\) into ViT: ",
            log), log[-3000:]
        random_log = (root / 'work' / 'logs' /
                      f'{kind}_random.log').read_text()
        assert 'model.backbone.init_cfg=None' in random_log.splitlines()[0]
        assert 'Loads checkpoint' not in random_log
        assert 'into ViT' not in random_log
