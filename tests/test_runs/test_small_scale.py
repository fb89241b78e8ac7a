"""The small-scale protocol's runner (mmcae/runs/small_scale.py): its
steps, seeds, resumption (finished runs are not redone, a pretraining
resumes) and table; the runs themselves are replaced by commands that
write what a finished run leaves behind."""
import json
import os
import os.path as osp
import sys
import time

import pytest

from mmcae.runs import small_scale
from mmcae.runs.scheduler import DONE, WAITING
from mmcae.runs.small_scale import (MULTI_SEED, ProtocolSettings,
                                    build_steps, build_table, cell_seeds,
                                    format_cell, run_protocol, summarize)
from tests.helpers import REPO_ROOT


def _settings(tmp_path, **kwargs):
    return ProtocolSettings(work_dir=str(tmp_path / 'work'),
                            cifar_root=str(tmp_path / 'cifar10'),
                            camvid_root=str(tmp_path / 'camvid'), **kwargs)


def test_default_steps(tmp_path):
    steps = build_steps(_settings(tmp_path))
    # 5 pretrainings + 5 publishes; 6 encoders x 5 protocols; 2 extra seeds
    # for CAE and random on LIN and CamVid
    assert len(steps) == 10 + 30 + 2 * 2 * 2
    assert all(s.state == WAITING for s in steps.values())
    for name, step in steps.items():
        config = step.record.get('config')
        if config:
            assert osp.isfile(osp.join(REPO_ROOT, config)), name
    lin_mae = steps['lin_mae_s0'].command
    assert 'model.backbone.qkv_bias=qkv' in lin_mae
    assert 'model.backbone.init_cfg.checkpoint=ENCODER' in lin_mae
    assert steps['lin_mae_s0'].deps == ['publish_mae']
    random = steps['camvid_random_s2']
    assert 'model.backbone.init_cfg=None' in random.command
    assert 'randomness.seed=2' in random.command and random.deps == []
    assert f'train_dataloader.dataset.data_root={tmp_path}/camvid' in \
        random.command
    assert steps['knn_cae_s0'].command[1].endswith('knn_eval.py')
    assert steps['pretrain_cae'].max_epochs == 5
    assert '--resume' not in steps['pretrain_cae'].command


def test_seeds():
    settings = ProtocolSettings('w', 'c', 'v')
    assert cell_seeds('cae', 'lin', settings) == list(MULTI_SEED['seeds'])
    assert cell_seeds('mae', 'lin', settings) == [0]
    assert cell_seeds('random', 'att', settings) == [0]
    settings.seeds = [1, 2]
    assert cell_seeds('random', 'camvid', settings) == [1, 2]
    assert cell_seeds('mae', 'camvid', settings) == []
    settings.seeds = [0, 5]
    assert cell_seeds('cae', 'lin', settings) == [0, 5]
    assert cell_seeds('ccmim', 'ft', settings) == [0]


def _timestamp_dir(work_dir, seconds_ago):
    stamp = time.strftime('%Y%m%d_%H%M%S',
                          time.localtime(time.time() - seconds_ago))
    os.makedirs(osp.join(work_dir, stamp))


def test_resumption(tmp_path):
    settings = _settings(tmp_path, methods=['cae', 'mae', 'random'],
                         protocols=['lin'])
    work = settings.work_dir
    # a finished pretraining run by hand is adopted, with its minutes
    cae = osp.join(work, 'pretrain', 'cae_s0')
    _timestamp_dir(cae, 600)
    open(osp.join(cae, 'epoch_5.pth'), 'w').close()
    # an interrupted one resumes
    mae = osp.join(work, 'pretrain', 'mae_s0')
    _timestamp_dir(mae, 60)
    open(osp.join(mae, 'epoch_3.pth'), 'w').close()
    # a recorded evaluation is done
    small_scale.write_json(
        osp.join(work, 'results', 'lin_random_s1.json'),
        dict(kind='lin', method='random', seed=1, value=30., seconds=9.))
    steps = build_steps(settings)
    assert steps['pretrain_cae'].state == DONE
    with open(osp.join(work, 'results', 'pretrain_cae.json')) as f:
        adopted = json.load(f)
    assert 590 <= adopted['seconds'] <= 700
    assert steps['pretrain_mae'].state == WAITING
    assert '--resume' in steps['pretrain_mae'].command
    assert steps['lin_random_s1'].state == DONE
    assert steps['lin_random_s0'].state == WAITING


def test_summary_and_cells():
    cell = summarize([50., 52., 54.])
    assert cell['mean'] == pytest.approx(52.)
    assert cell['std'] == pytest.approx(2.)  # sample std
    assert (cell['min'], cell['max'], cell['n']) == (50., 54., 3)
    assert format_cell(cell) == '52.00 ± 2.00 (3)'
    assert format_cell(summarize([41.5])) == '41.50'
    assert format_cell(None) == '—'


def _fake_command(step):
    """A command that leaves what the real run leaves: ``knn.json`` for
    k-NN, a scalars.json with a validation record for a training."""
    seed = step.record['seed']
    if step.record['kind'] == 'knn':
        body = (f"json.dump({{'top1': {40 + seed}}}, "
                f"open(os.path.join(w, 'knn.json'), 'w'))")
    else:
        body = ("d = os.path.join(w, '20260101_000000', 'vis_data'); "
                "os.makedirs(d, exist_ok=True); "
                "f = open(os.path.join(d, 'scalars.json'), 'w'); "
                "f.write(json.dumps({'loss': 1.0, 'lr': 0.1, 'step': 1}) "
                "+ '\\n'); "
                f"f.write(json.dumps({{'accuracy/top1': {30 + seed}, "
                "'step': 2}) + '\\n')")
    return [sys.executable, '-c',
            f'import json, os; w = {step.work_dir!r}; '
            f'os.makedirs(w, exist_ok=True); {body}']


def test_run_protocol_records_and_does_not_redo(tmp_path, monkeypatch,
                                                capsys):
    settings = _settings(tmp_path, methods=['random'],
                         protocols=['lin', 'knn'], jobs=2)
    real_build = small_scale.build_steps
    started = []

    def fake_build(s):
        steps = real_build(s)
        for step in steps.values():
            step.command = _fake_command(step)
            started.append(step.name) if step.state != DONE else None
        return steps

    monkeypatch.setattr(small_scale, 'build_steps', fake_build)
    assert run_protocol(settings) == 0
    assert sorted(started) == ['knn_random_s0', 'lin_random_s0',
                               'lin_random_s1', 'lin_random_s2']
    with open(osp.join(settings.work_dir, 'results.json')) as f:
        table = json.load(f)
    row = table['rows'][0]
    assert row['cells']['lin']['mean'] == pytest.approx(31.)
    assert row['cells']['lin']['seeds'] == [0, 1, 2]
    assert row['cells']['knn']['mean'] == pytest.approx(40.)
    with open(osp.join(settings.work_dir, 'results.md')) as f:
        text = f.read()
    assert '31.00 ± 1.00 (3)' in text and '40.00' in text
    # the same command again: nothing is redone, the same table
    started.clear()
    assert run_protocol(settings) == 0
    assert started == []
    assert '0 to run (4 done before)' in capsys.readouterr().out


def test_failed_step_is_reported_and_redone(tmp_path, monkeypatch):
    settings = _settings(tmp_path, methods=['random'], protocols=['knn'])
    real_build = small_scale.build_steps

    def failing_build(s):
        steps = real_build(s)
        for step in steps.values():
            step.command = [sys.executable, '-c', 'raise SystemExit(3)']
        return steps

    monkeypatch.setattr(small_scale, 'build_steps', failing_build)
    assert run_protocol(settings) == 1
    with open(osp.join(settings.work_dir, 'results.json')) as f:
        assert 'knn_random_s0' in json.load(f)['failed']
    assert not osp.exists(
        osp.join(settings.work_dir, 'results', 'knn_random_s0.json'))
    assert build_steps(settings)['knn_random_s0'].state == WAITING


def test_table_from_results():
    results = {
        'pretrain_cae': dict(kind='pretrain', method='cae', seconds=600.),
        'lin_cae_s0': dict(kind='lin', method='cae', seed=0, value=40.,
                           seconds=60.),
        'lin_cae_s1': dict(kind='lin', method='cae', seed=1, value=42.,
                           seconds=60.),
    }
    table = build_table(results, ['cae', 'random'], ['lin', 'knn'])
    cae, random = table['rows']
    assert cae['pretrain_minutes'] == 10.0 and cae['eval_minutes'] == 2.0
    assert cae['cells']['lin']['mean'] == pytest.approx(41.)
    assert random['cells'] == {} and random['pretrain_minutes'] is None
    text = small_scale.table_markdown(table)
    assert '41.00 ± 1.41 (2)' in text and '—' in text
