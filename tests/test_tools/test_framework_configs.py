"""One train tool and one test tool for every framework: tiny mmseg and
mmdet configs train for 2 iterations and are evaluated from the saved
checkpoint, on data the tests generate."""
import os.path as osp

import pytest

from mmcae.checkpoint.reader import load_local_checkpoint

from tests.helpers import run_python_tool

CASES = {
    'mmseg': ('tests/data/configs/tiny_fcn_seg.py', 'tiny_ade', 'mIoU'),
    'mmdet':
    ('tests/data/configs/tiny_retinanet_det.py', 'tiny_coco', 'coco/bbox_mAP'),
}


@pytest.mark.parametrize('framework', sorted(CASES))
def test_train_and_test_tools(framework, tmp_path, request):
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

    trained = run_python_tool('tools/train.py', config, '--work-dir', work_dir,
                              '--cfg-options', *paths)
    assert trained.returncode == 0, trained.stderr[-4000:]
    assert 'rank 0/1 finished: iter 2' in trained.stdout
    checkpoint = load_local_checkpoint(
        osp.join(work_dir, 'iter_2.pth'), trust=False)
    assert checkpoint['meta']['iter'] == 2
    assert any(k.startswith('backbone.') for k in checkpoint['state_dict'])

    tested = run_python_tool('tools/test.py', config,
                             osp.join(work_dir, 'iter_2.pth'), '--work-dir',
                             str(tmp_path / 'test'), '--cfg-options', *paths)
    assert tested.returncode == 0, tested.stderr[-4000:]
    log = tested.stdout + tested.stderr
    assert metric in log, log[-3000:]
