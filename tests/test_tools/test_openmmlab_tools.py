"""print_config, browse_dataset, analyze_logs and confusion_matrix
(mmcae/utils/openmmlab_tools.py) on the demo configs of all three
frameworks; the entry points run in this process."""
import os
import pickle

import pytest
import torch

from mmcae.utils.cli import run_tool
from mmcae.utils.openmmlab_tools import (analyze_logs_main,
                                         browse_dataset_main,
                                         confusion_matrix_main,
                                         print_config_main)

from tests.helpers import REPO_ROOT

CLS = 'configs/cae/benchmarks/vit-tiny-p8_finetune_1xb64-20e_demo-in1k.py'
SEG = 'configs/cae/fpn_vit-tiny-p8_1xb4-200i_demo-ade20k.py'
DET = 'configs/cae/mask-rcnn_vit-tiny-p8_1xb4-12e_demo-coco.py'


def _run(entry, argv, capsys, monkeypatch, cwd):
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    status = run_tool(entry, [str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_print_config_prints_resolved_config_and_writes_nothing(
        tmp_path, capsys, monkeypatch):
    status, out, err = _run(print_config_main, [
        f'{REPO_ROOT}/{SEG}', '--cfg-options',
        'train_dataloader.batch_size=3'
    ], capsys, monkeypatch, tmp_path)
    assert status == 0, err
    assert 'batch_size=3' in out  # the override
    assert "type='mmcae.ViTPyramidNeck'" in out  # from this config
    assert "type='UPerHead'" not in out  # the base's head is replaced
    assert 'FPNHead' in out
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize('config,data,phase', [
    (CLS, 'imagenet', 'train'),
    (SEG, 'ade20k', 'train'),
    (SEG, 'ade20k', 'val'),
    (DET, 'coco/', 'train'),
])
def test_browse_dataset_writes_images(tmp_path, capsys, monkeypatch,
                                      small_demo_sets, config, data, phase):
    out_dir = tmp_path / 'browse'
    status, out, err = _run(browse_dataset_main, [
        f'{REPO_ROOT}/{config}', '--output-dir', out_dir, '--not-show',
        '--max', '2', '--phase', phase, '--cfg-options',
        f'{phase}_dataloader.dataset.data_root={small_demo_sets}/{data}'
    ], capsys, monkeypatch, tmp_path)
    assert status == 0, err[-3000:]
    files = sorted(os.listdir(out_dir))
    assert len(files) == 2, files
    assert all(os.path.getsize(out_dir / name) > 500 for name in files)


def test_analyze_logs_plots_a_real_training_log(tmp_path, capsys,
                                                monkeypatch, small_demo_sets,
                                                engine_tool_in_process):
    from mmcae.utils.cli import run_train
    work_dir = tmp_path / 'work'
    status, out, err = engine_tool_in_process(
        run_train, CLS, '--work-dir', str(work_dir), '--no-validate',
        '--cfg-options', 'model.backbone.init_cfg=None',
        f'train_dataloader.dataset.data_root={small_demo_sets}/imagenet',
        'train_dataloader.dataset.indices=32',
        'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=100')
    assert status == 0, (out + err)[-3000:]
    scalars = [os.path.join(root, name)
               for root, _, names in os.walk(work_dir) for name in names
               if name == 'scalars.json']
    assert len(scalars) == 1
    curve = tmp_path / 'curve.png'
    status, out, err = _run(analyze_logs_main, [
        'plot_curve', scalars[0], '--keys', 'loss', 'lr', '--out', curve
    ], capsys, monkeypatch, tmp_path)
    assert status == 0, err
    with open(curve, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    status, out, err = _run(analyze_logs_main, ['cal_train_time', scalars[0]],
                            capsys, monkeypatch, tmp_path)
    assert status == 0, err
    assert 's/iter on average' in out
    status, out, err = _run(analyze_logs_main, [
        'plot_curve', scalars[0], '--keys', 'no_such_key', '--out', curve
    ], capsys, monkeypatch, tmp_path)
    assert status == 2 and 'no_such_key' in err and 'loss' in err


def test_confusion_matrix_of_test_results(tmp_path, capsys, monkeypatch):
    """A results pickle in the layout tools/test.py --out writes for
    classification (one dict a sample with gt_label and pred_label)."""
    pairs = [(0, 0), (0, 2), (1, 1), (2, 2), (2, 2), (7, 3)]
    results = [dict(gt_label=torch.tensor([gt]),
                    pred_label=torch.tensor([pred]),
                    pred_score=torch.nn.functional.one_hot(
                        torch.tensor(pred), 8).float())
               for gt, pred in pairs]
    path = tmp_path / 'results.pkl'
    with open(path, 'wb') as f:
        pickle.dump(results, f)
    # a pickle is read only when trusted
    monkeypatch.delenv('MMCAE_TRUST_CHECKPOINTS', raising=False)
    status, out, err = _run(confusion_matrix_main, [
        f'{REPO_ROOT}/{CLS}', path
    ], capsys, monkeypatch, tmp_path)
    assert status == 2 and '--trust' in err and str(path) in err
    status, out, err = _run(confusion_matrix_main, [
        f'{REPO_ROOT}/{CLS}', path, '--trust', '--out', tmp_path / 'matrix.png'
    ], capsys, monkeypatch, tmp_path)
    assert status == 0, err
    rows = {line.split()[0]: [int(v) for v in line.split()[1:]]
            for line in out.splitlines()[1:9]}
    assert rows['ball'][:3] == [1, 0, 1]
    assert rows['tent'][2] == 2
    assert rows['flower'][3] == 1
    assert (tmp_path / 'matrix.png').stat().st_size > 1000
