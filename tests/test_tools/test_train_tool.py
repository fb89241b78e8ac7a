"""tools/train.py and tools/dist_train.sh end to end on a tiny config."""
import os.path as osp

import pytest
import torch

from mmcae.checkpoint.reader import load_local_checkpoint
from mmcae.utils.cli import run_test, run_train

from tests.helpers import dist_env, run_cmd, run_python_tool

CONFIG = 'tests/data/configs/tiny_vit_cls.py'
PROBE_CONFIG = 'tests/data/configs/tiny_vit_cls_probe.py'


def _assert_same(actual, expected, where='') -> None:
    """Recursive exact equality of nested dicts/lists of tensors/numbers."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, torch.Tensor), where
        assert torch.equal(actual, expected), f'{where} differs'
    elif isinstance(expected, dict):
        assert set(actual) == set(expected), f'{where} keys differ'
        for key in expected:
            _assert_same(actual[key], expected[key], f'{where}.{key}')
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected), f'{where} lengths differ'
        for i, (a, e) in enumerate(zip(actual, expected)):
            _assert_same(a, e, f'{where}[{i}]')
    else:
        assert actual == expected, f'{where}: {actual!r} != {expected!r}'


def test_train_then_resume_continues_at_iter_3(tmp_path, tiny_imagenet):
    work_dir = str(tmp_path / 'work')
    data = f'train_dataloader.dataset.data_root={tiny_imagenet}'

    first = run_python_tool('tools/train.py', PROBE_CONFIG, '--work-dir',
                            work_dir, '--cfg-options', data)
    assert first.returncode == 0, first.stderr[-4000:]
    assert 'rank 0/1 finished: iter 2' in first.stdout
    saved = load_local_checkpoint(
        osp.join(work_dir, 'iter_2.pth'), map_location='cpu', trust=False)
    assert saved['meta']['iter'] == 2
    assert torch.load(
        osp.join(work_dir, 'probe_iterations_from0.pth'),
        weights_only=True)['iterations'] == [1, 2]

    second = run_python_tool('tools/train.py', PROBE_CONFIG, '--resume',
                             '--work-dir', work_dir, '--cfg-options', data,
                             'train_cfg.max_iters=4')
    assert second.returncode == 0, second.stderr[-4000:]
    log = second.stdout + second.stderr
    assert 'Iter(train) [3/4]' in log and 'Iter(train) [1/4]' not in log

    start = torch.load(
        osp.join(work_dir, 'probe_start_iter2.pth'), weights_only=True)
    assert start['iter'] == 2
    # the resumed run starts from exactly the saved optimizer and weights
    _assert_same(start['optimizer'], saved['optimizer'], 'optimizer')
    _assert_same(start['model'], dict(saved['state_dict']), 'state_dict')
    adamw_state = start['optimizer']['state']
    assert len(adamw_state) > 0
    assert all(float(s['step']) == 2.0 for s in adamw_state.values())
    assert torch.load(
        osp.join(work_dir, 'probe_iterations_from2.pth'),
        weights_only=True)['iterations'] == [3, 4]

    final = load_local_checkpoint(
        osp.join(work_dir, 'iter_4.pth'), map_location='cpu', trust=False)
    assert final['meta']['iter'] == 4
    assert all(
        float(s['step']) == 4.0 for s in final['optimizer']['state'].values())
    # training went on: the weights moved after the resume
    moved = [
        not torch.equal(final['state_dict'][k], saved['state_dict'][k])
        for k in saved['state_dict']
        if saved['state_dict'][k].is_floating_point()
    ]
    assert any(moved)
    # the message hub (history buffers) came back and kept its history
    scalars = final['message_hub']['log_scalars']
    assert len(scalars['train/loss'].data[0]) == 4

    # tools/test.py evaluates the final checkpoint and dumps predictions
    predictions = str(tmp_path / 'predictions.pkl')
    tested = run_python_tool('tools/test.py', CONFIG,
                             osp.join(work_dir, 'iter_4.pth'), '--work-dir',
                             str(tmp_path / 'test'), '--out', predictions,
                             '--cfg-options', data.replace('train_', 'test_'))
    assert tested.returncode == 0, tested.stderr[-4000:]
    assert 'accuracy/top1' in tested.stdout + tested.stderr
    import pickle
    with open(predictions, 'rb') as f:
        dumped = pickle.load(f)
    assert len(dumped) == 8
    assert {int(d['gt_label'][0]) for d in dumped} == {0, 1}


def test_dist_train_two_processes_on_cpu(tmp_path, tiny_imagenet):
    work_dir = str(tmp_path / 'dist')
    result = run_cmd([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
        '--cfg-options', f'train_dataloader.dataset.data_root={tiny_imagenet}'
    ],
                     env=dist_env())
    assert result.returncode == 0, result.stderr[-4000:]
    out = result.stdout + result.stderr
    assert 'rank 0/2 finished: iter 2' in out
    assert 'rank 1/2 finished: iter 2' in out
    checkpoint = load_local_checkpoint(
        osp.join(work_dir, 'iter_2.pth'), map_location='cpu', trust=False)
    assert checkpoint['meta']['iter'] == 2

    tested = run_cmd([
        'bash', 'tools/dist_test.sh', CONFIG,
        osp.join(work_dir, 'iter_2.pth'), '2', '--work-dir',
        str(tmp_path / 'dist_test'), '--cfg-options',
        f'test_dataloader.dataset.data_root={tiny_imagenet}'
    ],
                     env=dist_env())
    assert tested.returncode == 0, tested.stderr[-4000:]
    # each of the 2 ranks tests 4 of the 8 images: one batch of 4
    assert 'Iter(test) [1/1]' in tested.stdout + tested.stderr
    assert 'accuracy/top1' in tested.stdout + tested.stderr


# The error paths below run the tools' entry points in this process
# (engine_tool_in_process); the command lines themselves are run for real
# above.


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_missing_config_is_one_clear_error(engine_tool_in_process, tool):
    args = ['configs/no_such_config.py']
    if tool == 'test':
        args.append('no_such_checkpoint.pth')
    entry = run_train if tool == 'train' else run_test
    status, _, stderr = engine_tool_in_process(
        entry, *args, prog=f'tools/{tool}.py')
    assert status == 2
    assert "config file not found: 'configs/no_such_config.py'" in stderr
    assert 'Traceback' not in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_test_tool_missing_checkpoint(engine_tool_in_process):
    status, _, stderr = engine_tool_in_process(
        run_test, CONFIG, 'no_such_checkpoint.pth', prog='tools/test.py')
    assert status == 2
    assert "checkpoint file not found: 'no_such_checkpoint.pth'" in stderr
    assert 'Traceback' not in stderr


def test_resume_with_nothing_to_resume(tmp_path, engine_tool_in_process):
    empty = tmp_path / 'empty_work_dir'
    empty.mkdir()
    status, _, stderr = engine_tool_in_process(run_train, CONFIG, '--resume',
                                               '--work-dir', str(empty))
    assert status == 2
    assert f"nothing to resume in work dir '{empty}'" in stderr
    assert 'Traceback' not in stderr
    assert len(stderr.strip().splitlines()) == 1

    missing = tmp_path / 'nope.pth'
    status, _, stderr = engine_tool_in_process(run_train, CONFIG, '--resume',
                                               str(missing), '--work-dir',
                                               str(empty))
    assert status == 2
    assert f"checkpoint file not found: '{missing}'" in stderr


def test_unknown_mmcae_type_names_key_and_close_match(tmp_path,
                                                      engine_tool_in_process):
    status, _, stderr = engine_tool_in_process(
        run_train, PROBE_CONFIG, '--work-dir', str(tmp_path), '--cfg-options',
        'model.backbone.type=mmcae.ResumeProbeHok')
    assert status == 2
    assert "model.backbone.type = 'mmcae.ResumeProbeHok'" in stderr
    assert "Did you mean 'mmcae.ResumeProbeHook'" in stderr
    assert 'Traceback' not in stderr
    assert len(stderr.strip().splitlines()) == 1
