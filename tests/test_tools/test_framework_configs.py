"""One train tool and one test tool for every framework: tiny mmseg and
mmdet configs train for 2 iterations and are evaluated from the saved
checkpoint, on data the tests generate.

The tools' entry points (``mmcae.utils.cli.run_train`` / ``run_test``) run
in this process, as ``tools/train.py`` / ``tools/test.py`` call them: the
command lines themselves are run for real by the demo config tests
(tests/test_configs) and tests/test_tools/test_train_tool.py, and a fresh
interpreter per run would only add seconds of imports."""
import os.path as osp

import pytest

from mmcae.checkpoint.reader import load_local_checkpoint
from mmcae.utils.cli import run_test, run_train

CASES = {
    'mmseg': ('tests/data/configs/tiny_fcn_seg.py', 'tiny_ade', 'mIoU'),
    'mmdet':
    ('tests/data/configs/tiny_retinanet_det.py', 'tiny_coco', 'coco/bbox_mAP'),
}


@pytest.mark.parametrize('framework', sorted(CASES))
def test_train_and_test_tools(framework, tmp_path, request,
                              engine_tool_in_process):
    config, data_fixture, metric = CASES[framework]
    data_root = request.getfixturevalue(data_fixture)
    paths = [
        f'train_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}'
    ]
    if framework == 'mmdet':
        ann_file = osp.join(data_root, 'annotations.json')
        paths.append(f'test_evaluator.ann_file={ann_file}')
    work_dir = str(tmp_path / 'work')

    status, out, err = engine_tool_in_process(
        run_train, config, '--work-dir', work_dir, '--cfg-options', *paths,
        prog='tools/train.py')
    assert status == 0, err[-4000:]
    assert 'rank 0/1 finished: iter 2' in out
    checkpoint = load_local_checkpoint(
        osp.join(work_dir, 'iter_2.pth'), trust=False)
    assert checkpoint['meta']['iter'] == 2
    assert any(k.startswith('backbone.') for k in checkpoint['state_dict'])

    status, out, err = engine_tool_in_process(
        run_test, config, osp.join(work_dir, 'iter_2.pth'), '--work-dir',
        str(tmp_path / 'test'), '--cfg-options', *paths, prog='tools/test.py')
    assert status == 0, err[-4000:]
    log = out + err
    assert metric in log, log[-3000:]
