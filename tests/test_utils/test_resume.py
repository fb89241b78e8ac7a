"""Finding the checkpoint that --resume continues from."""
import os
import time

import pytest

from mmcae.utils.errors import UserError
from mmcae.utils.resume import find_resume_checkpoint, resolve_resume


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


def test_nothing_to_resume(tmp_path):
    assert find_resume_checkpoint(str(tmp_path / 'missing')) is None
    assert find_resume_checkpoint(str(tmp_path)) is None
    with pytest.raises(UserError, match='nothing to resume'):
        resolve_resume('auto', str(tmp_path))
    with pytest.raises(UserError, match='checkpoint file not found'):
        resolve_resume(str(tmp_path / 'x.pth'), str(tmp_path))
    _touch(tmp_path / 'x.pth', time.time())
    assert resolve_resume(str(tmp_path / 'x.pth'), 'unused') == \
        str(tmp_path / 'x.pth')
