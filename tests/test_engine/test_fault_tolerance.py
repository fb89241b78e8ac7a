"""Real training processes under faults (mmcae.engine.Runner through
tools/train.py): kill -9 at an iteration and while writing a checkpoint, a
NaN in the weights, a checkpoint whose meta holds code. The tiny CAE of
tests/data/configs/tiny_cae_faults.py trains 4 epochs of 4 iterations with
2 dataloader workers (tests/data/configs/tiny_vit_cls_faults.py: an
iteration-based classifier loading data in the main process);
tests/data/fault_hooks.py injects the faults and records every iteration's
losses."""
import json
import math
import os
import os.path as osp
import shutil
import signal

import pytest
import torch

from mmcae.checkpoint.reader import load_local_checkpoint
from mmcae.utils.cli import run_train

from tests.helpers import run_python_tool

CONFIG = 'tests/data/configs/tiny_cae_faults.py'
ITERS_PER_EPOCH = 4
EPOCHS = 4


def _train(work_dir, data_root, *options, resume=None, config=CONFIG):
    args = ['tools/train.py', config, '--work-dir', str(work_dir)]
    if resume is not None:
        args += ['--resume'] + ([] if resume == 'auto' else [str(resume)])
    args += [
        '--cfg-options', f'train_dataloader.dataset.data_root={data_root}',
        *options
    ]
    return run_python_tool(*args, timeout=600)


def _train_here(run_tool, work_dir, data_root, *options, resume=None):
    """:func:`_train` through the tool's entry point in this process (for
    runs that no kill ends and whose losses need not match another
    process's bit for bit); returns ``(exit status, stdout, stderr)``."""
    args = [CONFIG, '--work-dir', str(work_dir)]
    if resume is not None:
        args += ['--resume'] + ([] if resume == 'auto' else [str(resume)])
    args += [
        '--cfg-options', f'train_dataloader.dataset.data_root={data_root}',
        *options
    ]
    return run_tool(run_train, *args)


def _losses(work_dir):
    """iteration -> loss terms; a later record of an iteration (the
    resumed run repeating what the killed run did after its last
    checkpoint) replaces the earlier one."""
    records = {}
    with open(osp.join(work_dir, 'losses.jsonl')) as f:
        for line in f:
            record = json.loads(line)
            records[record.pop('iter')] = record
    return records


def _record(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def _checkpoints(work_dir):
    return sorted(
        name for name in os.listdir(work_dir)
        if name.endswith('.pth') or name.endswith('.partial'))


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory, tiny_imagenet):
    work_dir = tmp_path_factory.mktemp('uninterrupted')
    result = _train(work_dir, tiny_imagenet)
    assert result.returncode == 0, result.stderr[-4000:]
    losses = _losses(work_dir)
    assert sorted(losses) == list(range(1, EPOCHS * ITERS_PER_EPOCH + 1))
    return str(work_dir), losses


KILL_AT = ITERS_PER_EPOCH + 3  # in epoch 2, after epoch_1.pth


@pytest.fixture(scope='module')
def killed_twice(tmp_path_factory, tiny_imagenet):
    """One work dir through both kills, each observed as it happened: a
    run killed after iteration KILL_AT; its resumed run killed halfway
    through writing epoch_3.pth (its 2nd save, after epoch_2.pth); the
    final resume. (Each kill needs a run to resume from; sharing the
    middle one saves a training process.)"""
    work_dir = tmp_path_factory.mktemp('killed_twice')
    seen = {}
    seen['at_iter'] = _train(work_dir, tiny_imagenet,
                             f'custom_hooks.1.at_iter={KILL_AT}')
    seen['losses_at_iter'] = _losses(work_dir)
    seen['checkpoints_at_iter'] = _checkpoints(work_dir)
    seen['at_save'] = _train(work_dir, tiny_imagenet,
                             'custom_hooks.2.at_save=2', resume='auto')
    seen['losses_at_save'] = _losses(work_dir)
    seen['checkpoints_at_save'] = _checkpoints(work_dir)
    seen['record_at_save'] = _record(work_dir)
    seen['epoch_2_meta'] = load_local_checkpoint(
        str(work_dir / 'epoch_2.pth'))['meta']
    seen['resumed'] = _train(work_dir, tiny_imagenet, resume='auto')
    seen['losses'] = _losses(work_dir)
    seen['checkpoints'] = _checkpoints(work_dir)
    seen['record'] = _record(work_dir)
    return seen


def test_kill_at_an_iteration_then_resume_equals_uninterrupted(
        killed_twice, uninterrupted):
    _, expected = uninterrupted
    killed = killed_twice['at_iter']
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-4000:]
    before = killed_twice['losses_at_iter']
    assert sorted(before) == list(range(1, KILL_AT + 1))
    assert killed_twice['checkpoints_at_iter'] == ['epoch_1.pth']

    # the resumed run (ended by the second kill, in epoch 3's checkpoint,
    # after iterations 5-12) and the final one
    resumed = killed_twice['at_save']
    assert resumed.returncode == -signal.SIGKILL, resumed.stderr[-4000:]
    assert 'resumed epoch: 1' in resumed.stdout + resumed.stderr
    after = killed_twice['losses_at_save']
    assert sorted(after) == list(range(1, 3 * ITERS_PER_EPOCH + 1))
    # the killed run and the resumed one give exactly the uninterrupted
    # run's losses (same generators, same data order, same workers' draws)
    assert after == {i: expected[i] for i in after}
    assert killed_twice['losses'] == expected
    assert {i: before[i] for i in before} == {i: expected[i] for i in before}


def test_iteration_based_resume_is_exact_with_data_in_the_main_process(
        tmp_path, tiny_imagenet):
    """mmengine's IterBasedTrainLoop replays the batches before the resumed
    iteration; with num_workers=0 their transforms draw from the main
    process's generators, which are restored only after the replay."""
    config = 'tests/data/configs/tiny_vit_cls_faults.py'
    whole = _train(tmp_path / 'whole', tiny_imagenet, config=config)
    assert whole.returncode == 0, whole.stderr[-4000:]
    work_dir = tmp_path / 'killed'
    killed = _train(work_dir, tiny_imagenet, 'custom_hooks.1.at_iter=5',
                    config=config)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-4000:]
    resumed = _train(work_dir, tiny_imagenet, resume='auto', config=config)
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    assert 'resumed epoch: 0, iter: 4' in resumed.stdout + resumed.stderr
    expected = _losses(tmp_path / 'whole')
    assert sorted(expected) == list(range(1, 9))
    assert _losses(work_dir) == expected


def test_kill_while_saving_keeps_the_last_complete_checkpoint(
        killed_twice, uninterrupted):
    _, expected = uninterrupted
    killed = killed_twice['at_save']
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-4000:]
    # max_keep_ckpts=1: epoch_2 is kept until epoch_3 is complete
    assert killed_twice['checkpoints_at_save'] == [
        'epoch_2.pth', 'epoch_3.pth.partial'
    ]
    assert osp.basename(killed_twice['record_at_save']) == 'epoch_2.pth'
    assert killed_twice['epoch_2_meta']['epoch'] == 2

    resumed = killed_twice['resumed']
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    log = resumed.stdout + resumed.stderr
    assert 'epoch_3.pth.partial' in log  # named when it is cleaned up
    assert 'resumed epoch: 2' in log
    assert killed_twice['checkpoints'] == ['epoch_4.pth']
    assert osp.basename(killed_twice['record']) == 'epoch_4.pth'
    assert killed_twice['losses'] == expected


def test_nan_stops_the_run_and_keeps_the_last_finite_checkpoint(
        tmp_path, tiny_imagenet, engine_tool_in_process):
    work_dir = tmp_path / 'nan'
    nan_at = ITERS_PER_EPOCH + 2
    status, _, stderr = _train_here(
        engine_tool_in_process, work_dir, tiny_imagenet,
        'default_hooks.checkpoint.max_keep_ckpts=2',
        f'custom_hooks.3.at_iter={nan_at}')
    assert status == 2, stderr[-4000:]
    message = [line for line in stderr.splitlines() if 'error:' in line]
    assert len(message) == 1, stderr[-4000:]
    assert f'training stopped at iteration {nan_at}' in message[0]
    assert 'non-finite loss' in message[0]
    assert 'epoch_1.pth' in message[0]
    losses = _losses(work_dir)
    assert max(losses) == nan_at  # nothing ran after it
    assert math.isnan(losses[nan_at]['loss'])
    assert _checkpoints(work_dir) == ['epoch_1.pth']
    assert osp.basename(_record(work_dir)) == 'epoch_1.pth'
    saved = load_local_checkpoint(str(work_dir / 'epoch_1.pth'))
    assert all(
        bool(torch.isfinite(t).all()) for t in saved['state_dict'].values()
        if t.is_floating_point())


@pytest.mark.parametrize('how', ['explicit', 'auto'])
def test_resume_never_executes_the_checkpoints_config(
        tmp_path, tiny_imagenet, uninterrupted, engine_tool_in_process, how):
    source_dir, _ = uninterrupted
    work_dir = tmp_path / 'work'
    os.makedirs(work_dir)
    marker = tmp_path / 'marker'
    checkpoint = load_local_checkpoint(osp.join(source_dir, 'epoch_4.pth'))
    checkpoint['meta']['config'] = \
        f"__import__('os').system('touch {marker}')"
    poisoned = str(work_dir / 'epoch_4.pth')
    torch.save(checkpoint, poisoned)
    (work_dir / 'last_checkpoint').write_text(poisoned)
    shutil.copy(osp.join(source_dir, 'losses.jsonl'), work_dir)

    status, stdout, stderr = _train_here(
        engine_tool_in_process, work_dir, tiny_imagenet,
        'train_cfg.max_epochs=5',
        resume=poisoned if how == 'explicit' else 'auto')
    assert status == 0, stderr[-4000:]
    assert not marker.exists()
    assert "meta['config'] ignored" in stdout + stderr
    assert max(_losses(work_dir)) == 5 * ITERS_PER_EPOCH
