"""tools/analysis_tools/collect_results.py as a user runs it, and its
logic (:func:`mmcae.runs.results.main`) on the files of a real tiny train +
test run. The synthetic cases are in tests/test_runs/test_results.py."""
import json
import os.path as osp
import re

import pytest

from mmcae.runs.results import main
from tests.helpers import run_python_tool
from .model_index_fixtures import (CKPT_300, DEMO_LINEAR, SEG_300, make_run,
                                   write_model_index)


def test_command_line_user_error(tmp_path):
    """An unknown --table: one line on stderr, exit status 2."""
    root = write_model_index(str(tmp_path / 'root'))
    seg = make_run(str(tmp_path / 'seg'), SEG_300, CKPT_300,
                   [dict(aAcc=81.0, mIoU=47.95, mAcc=57.0)])
    result = run_python_tool('tools/analysis_tools/collect_results.py', seg,
                             '--table', 'cae-arxiv-9', '--metafile-root',
                             root)
    assert result.returncode == 2, result.stderr[-3000:]
    assert ("collect_results.py: error: unknown paper table 'cae-arxiv-9'"
            '; the metafiles have: cae-arxiv-3, cae-arxiv-1, demo-1'
            ) in result.stderr.splitlines()
    assert result.stdout == ''


def test_real_train_and_test_run(tmp_path, capsys, engine_tool_in_process):
    """mmengine's own files: tools/train.py (1 epoch, validation at its
    end), then tools/test.py on its checkpoint, in one work dir. Both
    tools' entry points run in this process (their command lines are run
    for real in tests/test_tools/test_train_tool.py and the demo config
    tests): the files are the same, without seconds of imports per run."""
    from mmcae.datasets.demo import make_demo_data
    from mmcae.utils.cli import run_test, run_train
    root = write_model_index(str(tmp_path / 'root'))
    make_demo_data(str(tmp_path / 'demo'), size='small')
    data_root = str(tmp_path / 'demo' / 'imagenet')
    work_dir = str(tmp_path / 'work')
    options = [
        f'{split}_dataloader.dataset.data_root={data_root}'
        for split in ('train', 'val', 'test')
    ] + ['model.backbone.init_cfg=None']
    status, out, err = engine_tool_in_process(
        run_train, DEMO_LINEAR, '--work-dir', work_dir, '--cfg-options',
        *options, 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'train_dataloader.batch_size=16', prog='tools/train.py')
    log = out + err
    assert status == 0, log[-3000:]
    logged = re.findall(r'Epoch\(val\).*accuracy/top1: ([0-9.]+)', log)
    assert len(logged) == 1

    json_path = str(tmp_path / 'val.json')
    assert main([work_dir, '--metafile-root', root, '--json',
                      json_path]) == 0
    out = capsys.readouterr().out
    with open(json_path) as f:
        run = json.load(f)['runs'][0]
    assert run['model'] == 'linear_demo' and run['kind'] == 'val'
    assert run['config'] == osp.basename(DEMO_LINEAR)
    assert run['checkpoint'] is None
    assert run['metrics']['accuracy/top1'] == pytest.approx(
        float(logged[0]), abs=1e-4)
    assert f'{float(logged[0]):.2f} (50.0, ' in out

    status, out, err = engine_tool_in_process(
        run_test, DEMO_LINEAR, osp.join(work_dir, 'epoch_1.pth'),
        '--work-dir', work_dir, '--cfg-options', *options,
        prog='tools/test.py')
    log = out + err
    assert status == 0, log[-3000:]
    logged = re.findall(r'Epoch\(test\).*accuracy/top1: ([0-9.]+)', log)
    assert len(logged) == 1
    assert main([work_dir, '--metafile-root', root, '--json',
                      json_path]) == 0
    capsys.readouterr()
    with open(json_path) as f:
        run = json.load(f)['runs'][0]
    assert run['kind'] == 'test'
    stamp = run['timestamp']
    assert run['source'] == osp.join(work_dir, stamp, f'{stamp}.json')
    assert run['metrics']['accuracy/top1'] == pytest.approx(
        float(logged[0]), abs=1e-4)
