"""Writing through a .partial file and renaming it."""
import os

import pytest

from mmcae.checkpoint.atomic import (commit_partial, partial_path,
                                     remove_partial_files,
                                     write_bytes_atomically)


def test_old_file_stays_until_the_new_one_is_complete(tmp_path):
    path = str(tmp_path / 'last_checkpoint')
    write_bytes_atomically(path, b'old')
    # a writer killed halfway: the partial file exists, the old one is intact
    with open(partial_path(path), 'wb') as f:
        f.write(b'ne')
    with open(path, 'rb') as f:
        assert f.read() == b'old'
    write_bytes_atomically(path, b'new')
    with open(path, 'rb') as f:
        assert f.read() == b'new'
    assert not os.path.exists(partial_path(path))


def test_commit_needs_the_partial_file_and_cleanup_removes_leftovers(
        tmp_path):
    with pytest.raises(FileNotFoundError):
        commit_partial(str(tmp_path / 'epoch_1.pth'))
    (tmp_path / 'epoch_2.pth.partial').write_bytes(b'half')
    (tmp_path / 'epoch_1.pth').write_bytes(b'whole')
    assert remove_partial_files(str(tmp_path)) == [
        str(tmp_path / 'epoch_2.pth.partial')
    ]
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth']
