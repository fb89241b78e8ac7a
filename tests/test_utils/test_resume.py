"""Finding the checkpoint that --resume continues from."""
import os
import time

import pytest
import torch

from mmcae.utils.errors import UserError
from mmcae.utils.resume import (find_resume_checkpoint, resolve_resume,
                                resume_candidates)


def _touch(path, mtime):
    path.write_bytes(b'x')
    os.utime(path, (mtime, mtime))


def test_record_wins_when_it_points_to_a_file(tmp_path):
    now = time.time()
    _touch(tmp_path / 'iter_4.pth', now)
    _touch(tmp_path / 'iter_2.pth', now - 10)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_2.pth'))
    assert find_resume_checkpoint(str(tmp_path)) == str(tmp_path /
                                                        'iter_2.pth')


def test_moved_work_dir_record_is_resolved_by_name(tmp_path):
    _touch(tmp_path / 'epoch_3.pth', time.time())
    (tmp_path / 'last_checkpoint').write_text('/old/place/epoch_3.pth')
    assert find_resume_checkpoint(str(tmp_path)) == \
        str(tmp_path / 'epoch_3.pth')


def test_without_record_newest_checkpoint_by_mtime_then_number(tmp_path):
    now = time.time()
    _touch(tmp_path / 'iter_10.pth', now - 100)
    _touch(tmp_path / 'iter_9.pth', now)  # written last (e.g. a restart)
    _touch(tmp_path / 'best_accuracy_iter_50.pth', now + 5)  # not a resume
    _touch(tmp_path / 'notes.txt', now + 5)
    assert find_resume_checkpoint(str(tmp_path)) == str(tmp_path /
                                                        'iter_9.pth')
    _touch(tmp_path / 'iter_12.pth', now)  # same mtime: larger number wins
    assert find_resume_checkpoint(str(tmp_path)) == \
        str(tmp_path / 'iter_12.pth')


def _training_checkpoint(path, epoch):
    torch.save(
        dict(
            meta=dict(epoch=epoch, iter=4 * epoch, seed=7),
            state_dict={'w': torch.zeros(2)},
            message_hub={}), path)


def test_nothing_to_resume(tmp_path):
    assert find_resume_checkpoint(str(tmp_path / 'missing')) is None
    assert find_resume_checkpoint(str(tmp_path)) is None
    with pytest.raises(UserError, match='nothing to resume'):
        resolve_resume('auto', str(tmp_path))
    with pytest.raises(UserError, match='checkpoint file not found'):
        resolve_resume(str(tmp_path / 'x.pth'), str(tmp_path))
    _training_checkpoint(tmp_path / 'x.pth', 3)
    path, meta = resolve_resume(str(tmp_path / 'x.pth'), 'unused')
    assert path == str(tmp_path / 'x.pth')
    assert (meta['epoch'], meta['iter'], meta['seed']) == (3, 12, 7)


def test_a_save_killed_before_its_rename_leaves_nothing_to_resume(tmp_path):
    """The first save of a run was killed: only its .partial file is
    there, which is never a resume candidate."""
    (tmp_path / 'epoch_1.pth.partial').write_bytes(b'PK\x03\x04half')
    with pytest.raises(UserError, match='nothing to resume'):
        resolve_resume('auto', str(tmp_path))


def test_unreadable_checkpoints_are_skipped_for_the_newest_good_one(
        tmp_path):
    """What mmengine's hook leaves after a kill during a save: the record
    names a 0-byte file; an older checkpoint is complete."""
    now = time.time()
    _training_checkpoint(tmp_path / 'epoch_1.pth', 1)
    _training_checkpoint(tmp_path / 'epoch_2.pth', 2)
    os.utime(tmp_path / 'epoch_1.pth', (now - 20, now - 20))
    os.utime(tmp_path / 'epoch_2.pth', (now - 10, now - 10))
    (tmp_path / 'epoch_3.pth').write_bytes(b'')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    assert resume_candidates(str(tmp_path)) == [
        str(tmp_path / f'epoch_{n}.pth') for n in (3, 2, 1)
    ]
    path, meta = resolve_resume('auto', str(tmp_path))
    assert path == str(tmp_path / 'epoch_2.pth') and meta['epoch'] == 2
    # nothing usable at all: one error naming every skipped file
    (tmp_path / 'epoch_2.pth').write_bytes(b'not a checkpoint')
    (tmp_path / 'epoch_1.pth').unlink()
    with pytest.raises(UserError) as error:
        resolve_resume('auto', str(tmp_path))
    assert 'no usable checkpoint' in str(error.value)
    assert 'epoch_3.pth' in str(error.value)
    assert 'epoch_2.pth' in str(error.value)


def test_a_weights_only_file_is_not_a_training_checkpoint(tmp_path):
    torch.save({'w': torch.zeros(2)}, tmp_path / 'weights.pth')
    with pytest.raises(UserError) as error:
        resolve_resume(str(tmp_path / 'weights.pth'), str(tmp_path))
    message = str(error.value)
    assert 'weights.pth' in message
    assert 'not a training checkpoint' in message
    assert 'load_from' in message
