"""Find the checkpoint that ``--resume`` (without a path) continues from.

mmengine's ``find_latest_checkpoint`` only reads the ``last_checkpoint`` file
that its CheckpointHook writes; when that file is missing (work dir copied
without it, run killed while writing it) or points to a moved file, mmengine
silently starts from scratch. The official CAE code has the opposite bug (its
auto-resume pattern never matches the names it saves). Here: the
``last_checkpoint`` record when it points to an existing file, else the
newest ``epoch_N.pth`` / ``iter_N.pth`` in the work dir; nothing found is an
error, never a silent fresh start.
"""
import glob
import os
import os.path as osp
import re
from typing import Optional

from .errors import UserError

_CKPT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def _from_record(work_dir: str) -> Optional[str]:
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        return None
    with open(record) as f:
        path = f.read().strip()
    for candidate in (path, osp.join(work_dir, osp.basename(path))):
        if candidate and osp.isfile(candidate):
            return candidate
    return None


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """Return the checkpoint to resume from in ``work_dir``, or None.

    Args:
        work_dir (str): the run's work directory.

    Returns:
        str or None: the path recorded in ``last_checkpoint`` if that file
        exists; else the most recently written ``epoch_N.pth`` or
        ``iter_N.pth`` (ties broken by the larger N); None if neither.
    """
    if not osp.isdir(work_dir):
        return None
    recorded = _from_record(work_dir)
    if recorded is not None:
        return recorded
    candidates = []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = _CKPT_NAME.match(osp.basename(path))
        if match:
            candidates.append((os.stat(path).st_mtime, int(match.group(2)),
                               path))
    if not candidates:
        return None
    return max(candidates)[2]


def resolve_resume(resume_arg: Optional[str], work_dir: str) -> str:
    """Turn the value of ``--resume`` into an existing checkpoint path.

    Args:
        resume_arg (str): ``'auto'`` (the flag without a path) or a path.
        work_dir (str): the run's work directory.

    Returns:
        str: the checkpoint path.

    Raises:
        UserError: nothing to resume, or the given path does not exist.
    """
    if resume_arg in (None, 'auto'):
        found = find_resume_checkpoint(work_dir)
        if found is None:
            raise UserError(
                f"--resume: nothing to resume in work dir '{work_dir}' (no "
                "'last_checkpoint' record and no epoch_*.pth / iter_*.pth "
                'file). Start without --resume, or give the checkpoint: '
                '--resume PATH.')
        return found
    if not osp.isfile(osp.expanduser(resume_arg)):
        raise UserError(f"--resume: checkpoint file not found: '{resume_arg}'")
    return osp.expanduser(resume_arg)
