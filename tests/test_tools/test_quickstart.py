"""tools/quickstart.sh end to end in --tiny mode (the small demo set, a few
iterations per step), and the scheduling and progress logic of
tools/quickstart.py."""
import hashlib
import importlib.util
import json
import math
import os.path as osp
import time

import pytest
import torch

from ..conftest import REPO_ROOT, run_cmd


def _quickstart_module():
    spec = importlib.util.spec_from_file_location(
        'quickstart', osp.join(REPO_ROOT, 'tools', 'quickstart.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp('quickstart')
    started = time.perf_counter()
    result = run_cmd([
        'bash', 'tools/quickstart.sh', '--tiny', '--work-dir',
        str(root / 'work'), '--data-root',
        str(root / 'data')
    ], timeout=600)
    seconds = time.perf_counter() - started
    return root, result, seconds


def test_tiny_quickstart_runs_every_step_and_prints_finite_numbers(
        tiny_run):
    root, result, seconds = tiny_run
    assert result.returncode == 0, (result.stdout[-3000:] +
                                    result.stderr[-3000:])
    assert seconds < 180, f'the tiny quickstart took {seconds:.0f} s'
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
    from mmcae.utils.checkpoint_compat import load_local_checkpoint
    pretrain = load_local_checkpoint(
        open(root / 'work' / 'pretrain' / 'last_checkpoint').read().strip(),
        map_location='cpu')['state_dict']
    assert torch.equal(state_dict['blocks.0.attn.qkv.weight'],
                       pretrain['backbone.blocks.0.attn.qkv.weight'])
    for kind in ('lin', 'att', 'seg', 'det'):
        log = (root / 'work' / 'logs' / f'{kind}_pretrained.log').read_text()
        assert f'init_cfg.checkpoint={encoder}' in log.splitlines()[0]
        assert f'Loads checkpoint by local_loader backend from path: ' \
            f'{encoder}' in log
        random_log = (root / 'work' / 'logs' /
                      f'{kind}_random.log').read_text()
        assert 'model.backbone.init_cfg=None' in random_log.splitlines()[0]
        assert 'Loads checkpoint' not in random_log


def test_steps_wait_for_their_inputs_and_longest_chain_goes_first(
        tmp_path):
    quickstart = _quickstart_module()
    args = quickstart.parse_args(
        ['--tiny', '--work-dir',
         str(tmp_path / 'w'), '--data-root',
         str(tmp_path / 'd'), '--jobs', '2'])
    steps = quickstart.build_steps(args)
    assert len(steps) == 12
    assert steps['pretrain'].deps == ['data_imagenet']
    assert set(steps['det_pretrained'].deps) == {'data_scenes', 'publish'}
    assert steps['lin_random'].deps == ['data_imagenet']
    priority = quickstart.critical_path(steps)
    cost = quickstart.COST
    # the pretrained Mask R-CNN ends the longest chain
    assert priority['data_imagenet'] == pytest.approx(
        cost['data_imagenet'] + cost['pretrain'] + cost['publish'] +
        cost['det'])
    assert priority['det_random'] > priority['lin_random']
    # epoch-based runs know their length (progress bars)
    assert steps['pretrain'].max_epochs == 2
    assert steps['seg_random'].max_epochs is None


def test_progress_is_read_from_the_mmengine_log(tmp_path):
    quickstart = _quickstart_module()
    log = tmp_path / 'run.log'
    step = quickstart.Step('lin', 'lin', ['true'], str(log), [], 1.,
                           max_epochs=4)
    log.write_text('Epoch(train)  [2][ 5/10]  lr: 1e-3  loss: 0.5\n')
    step._read_progress()
    assert step.fraction == pytest.approx(0.95 * 15 / 40)
    with open(log, 'a') as f:
        f.write('Epoch(val) [4][3/4]  eta: 0:00:01\n'
                'Iter(val) [3/4]  eta: 0:00:01\n')
    step._read_progress()
    assert step.fraction == pytest.approx(0.9 + 0.1 * 3 / 4)
    iters = quickstart.Step('det', 'det', ['true'], str(tmp_path / 'b'), [],
                            1.)
    (tmp_path / 'b').write_text('Iter(train) [ 50/200]  loss: 1.0\n')
    iters._read_progress()
    assert iters.fraction == pytest.approx(0.9 * 50 / 200)
