"""Writing files so that a kill at any moment leaves the old file or the
complete new one, never a partial file under the final name.

A file is written as ``NAME.partial`` in the destination folder, flushed to
disk, then renamed over ``NAME`` (``os.replace`` is atomic on POSIX and
Windows file systems). A process killed while writing leaves only a
``.partial`` file, which :func:`remove_partial_files` cleans up when the
next run of the folder starts.
"""
import glob
import os
import os.path as osp
from typing import List

#: the suffix of a file that is still being written
PARTIAL_SUFFIX = '.partial'


def partial_path(path: str) -> str:
    """Where ``path`` is written before :func:`commit_partial`."""
    return path + PARTIAL_SUFFIX


def commit_partial(path: str) -> None:
    """Flush ``partial_path(path)`` to disk and rename it to ``path``."""
    tmp_path = partial_path(path)
    with open(tmp_path, 'rb+') as f:
        os.fsync(f.fileno())
    os.replace(tmp_path, path)


def write_bytes_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a ``.partial`` file."""
    with open(partial_path(path), 'wb') as f:
        f.write(data)
    commit_partial(path)


def write_json_atomically(path: str, record: dict) -> None:
    """Write ``record`` as JSON to ``path`` through a ``.partial`` file
    (missing folders are made): complete or absent after a kill, so a
    result file can mark a finished run."""
    import json
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_bytes_atomically(
        path, (json.dumps(record, indent=2) + '\n').encode('utf-8'))


def remove_partial_files(directory: str) -> List[str]:
    """Delete the ``.partial`` files in ``directory``; return their paths.
    """
    removed = []
    for path in sorted(glob.glob(osp.join(directory, '*' + PARTIAL_SUFFIX))):
        try:
            os.remove(path)
            removed.append(path)
        except OSError:  # another process removed it first
            pass
    return removed
