"""mmcae.runs.quickstart: the step graph, its cost estimates and the
table (the end-to-end run is tests/test_tools/test_quickstart.py)."""
import json
import math

import pytest

from mmcae.runs.quickstart import (CONFIGS, QuickstartSettings, build_steps,
                                   results_table)
from mmcae.runs.quickstart_costs import (DURATIONS_FILE, STARTUP_SECONDS,
                                         record_durations)
from mmcae.runs.scheduler import critical_path


def settings(tmp_path, tiny=True):
    return QuickstartSettings.resolve(
        work_dir=str(tmp_path / 'w'), data_root=str(tmp_path / 'd'),
        tiny=tiny, jobs=2)


@pytest.fixture(scope='module')
def tiny_steps(tmp_path_factory):
    return build_steps(settings(tmp_path_factory.mktemp('qs')))


def test_steps_wait_for_their_inputs_and_longest_chain_goes_first(
        tiny_steps):
    steps = tiny_steps
    assert len(steps) == 12
    assert steps['pretrain'].deps == ['data_imagenet']
    assert set(steps['det_pretrained'].deps) == {'data_scenes', 'publish'}
    assert steps['lin_random'].deps == ['data_imagenet']
    priority = critical_path(steps)
    # the pretrained Mask R-CNN ends the longest chain
    assert priority['data_imagenet'] == pytest.approx(
        sum(steps[name].cost for name in ('data_imagenet', 'pretrain',
                                          'publish', 'det_pretrained')))
    assert priority['det_random'] > priority['lin_random']
    # epoch-based runs know their length (progress bars)
    assert steps['pretrain'].max_epochs == 2
    assert steps['seg_random'].max_epochs is None


def test_tiny_costs_come_from_the_configs_iterations(tiny_steps):
    # 2 epochs x ceil(48 small-set images / batch 16); 6 iterations
    assert tiny_steps['pretrain'].units == 6
    assert tiny_steps['lin_random'].units == 6
    assert tiny_steps['det_pretrained'].units == 6
    # (6 + 2) images x 8 classes, 16 + 8 scenes; nothing to publish
    assert tiny_steps['data_imagenet'].units == 64
    assert tiny_steps['data_scenes'].units == 24
    assert tiny_steps['publish'].cost == STARTUP_SECONDS


def test_full_mode_estimates(tmp_path):
    """Before any measurement: the configured per-unit defaults times the
    full schedules, about the minutes the steps took on the development
    machine (only their order matters)."""
    steps = build_steps(settings(tmp_path, tiny=False))
    minutes = {name: step.cost / 60 for name, step in steps.items()}
    measured = dict(data_imagenet=1.9, data_scenes=2.5, pretrain=4.1,
                    lin_random=2.0, att_random=1.2, seg_random=1.2,
                    det_random=6.5)
    for name, value in measured.items():
        assert minutes[name] == pytest.approx(value, rel=0.15), name
    assert steps['pretrain'].units == 16 * 75
    assert 'configs/quickstart/' in steps['pretrain'].command[2]
    assert steps['pretrain'].command[2] == CONFIGS['pretrain']


def test_durations_of_a_previous_run_replace_the_defaults(tmp_path):
    first = build_steps(settings(tmp_path))
    for step in first.values():
        step.state, step.seconds = 'done', STARTUP_SECONDS + 3. * step.units
    first['seg_random'].state = 'failed'  # not recorded
    record_durations(first, settings(tmp_path))
    with open(tmp_path / 'w' / DURATIONS_FILE) as f:
        recorded = json.load(f)['tiny']
    assert 'seg_random' not in recorded and 'publish' not in recorded
    assert recorded['pretrain'] == dict(
        seconds=STARTUP_SECONDS + 18., units=6)
    again = build_steps(settings(tmp_path))
    assert again['pretrain'].cost == pytest.approx(STARTUP_SECONDS + 18.)
    assert again['seg_random'].cost == first['seg_random'].cost


def test_a_complete_demo_set_costs_nothing_but_the_start(tmp_path):
    data = tmp_path / 'd'
    data.mkdir()
    (data / '.imagenet.done.json').write_text(
        json.dumps(dict(seed=0, size='small')))
    steps = build_steps(settings(tmp_path))
    assert steps['data_imagenet'].units == 0
    assert steps['data_imagenet'].cost == STARTUP_SECONDS
    assert steps['data_scenes'].units == 24


def test_results_table():
    results = dict(
        mode='tiny', device='cpu', jobs=2, threads_per_job=1,
        total_seconds=90., failed={'det_random': '/w/logs/det_random.log'},
        pretrain=dict(config='c.py', seconds=30., epochs=2, first_loss=3.2,
                      last_loss=2.95),
        rows=[dict(task='Linear probe (demo ImageNet)', unit='top-1 %',
                   pretrained=41.25, random=40.0),
              dict(task='Mask R-CNN box AP (demo COCO)', unit='box AP',
                   pretrained=1.5, random=math.nan)])
    assert results_table(results).splitlines() == [
        'mmcae quickstart (tiny mode, cpu, 2 jobs x 1 thread(s)): 1.5 min '
        'in all',
        '',
        'CAE pretraining (c.py, 2 epochs, 0.5 min): loss 3.200 -> 2.950 '
        '(mean of the first and last tenth of the logged steps)',
        '',
        '| task | metric | pretrained | random | difference |',
        '|---|---|---|---|---|',
        '| Linear probe (demo ImageNet) | top-1 % | 41.25 | 40.00 | +1.25 |',
        '| Mask R-CNN box AP (demo COCO) | box AP | 1.50 | n/a | n/a |',
        '',
        'Failed or skipped steps (logs):',
        '  det_random: /w/logs/det_random.log',
    ]
    del results['pretrain']['first_loss']
    assert 'loss n/a (pretraining failed)' in results_table(results)
