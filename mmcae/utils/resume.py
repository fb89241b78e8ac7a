"""Find and check the checkpoint that ``--resume`` continues from.

mmengine's ``find_latest_checkpoint`` only reads the ``last_checkpoint``
file that its CheckpointHook writes; when that file is missing (work dir
copied without it), points to a moved or deleted file, or names a file that
a killed save left unfinished, mmengine silently starts from scratch or
dies on the broken file (``EOFError``). The official CAE code has the
opposite bug (its auto-resume pattern never matches the names it saves).
Here: the ``last_checkpoint`` record first, then every ``epoch_N.pth`` /
``iter_N.pth`` in the work dir from the newest; each is read and checked
before the run is built, an unreadable one is skipped with a warning that
names it and says what is wrong, and nothing usable is an error, never a
silent fresh start.
"""
import glob
import logging
import os
import os.path as osp
import re
from typing import Any, Dict, List, Optional, Tuple

from mmengine.logging import print_log

from mmcae.checkpoint import UnsafeCheckpointError, read_checkpoint
from .errors import UserError

_CKPT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')
#: what a checkpoint written by a training run holds
_TRAINING_KEYS = ('meta', 'state_dict', 'message_hub')


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


def resume_candidates(work_dir: str) -> List[str]:
    """The checkpoints ``--resume`` may continue from, best first.

    Args:
        work_dir (str): the run's work directory.

    Returns:
        list[str]: the file named by ``last_checkpoint`` (if it exists),
        then the ``epoch_N.pth`` / ``iter_N.pth`` files from the most
        recently written (ties broken by the larger N).
    """
    if not osp.isdir(work_dir):
        return []
    found = []
    for path in glob.glob(osp.join(work_dir, '*.pth')):
        match = _CKPT_NAME.match(osp.basename(path))
        if match:
            found.append((os.stat(path).st_mtime, int(match.group(2)), path))
    ordered = [path for _, _, path in sorted(found, reverse=True)]
    recorded = _from_record(work_dir)
    if recorded is not None:
        ordered = [recorded] + [
            p for p in ordered if not osp.samefile(p, recorded)
        ]
    return ordered


def find_resume_checkpoint(work_dir: str) -> Optional[str]:
    """The first of :func:`resume_candidates` (unchecked), or None."""
    candidates = resume_candidates(work_dir)
    return candidates[0] if candidates else None


def read_resume_meta(path: str) -> Dict[str, Any]:
    """Read a checkpoint and check that a run can resume from it.

    Args:
        path (str): the checkpoint file.

    Returns:
        dict: its ``meta`` (``epoch``, ``iter``, ``seed``, ...).

    Raises:
        UserError: the file cannot be read (the message says why), or it
            is not a training checkpoint (weights only: use ``load_from``).
        UnsafeCheckpointError: it needs full unpickling and is not trusted.
    """
    checkpoint = read_checkpoint(path)
    missing = [
        key for key in _TRAINING_KEYS
        if not (isinstance(checkpoint, dict) and key in checkpoint)
    ]
    meta = checkpoint.get('meta') if not missing else None
    if not missing and not (isinstance(meta, dict) and isinstance(
            meta.get('epoch'), int) and isinstance(meta.get('iter'), int)):
        missing = ["meta['epoch'] / meta['iter']"]
    if missing:
        held = (sorted(map(str, checkpoint))[:6]
                if isinstance(checkpoint, dict) else type(checkpoint).__name__)
        raise UserError(
            f"--resume: '{path}' is not a training checkpoint (it has no "
            f"{', '.join(missing)}; it holds {held}). A run can resume only "
            'from a checkpoint that tools/train.py wrote; to START from '
            'these weights, use --cfg-options load_from=PATH (whole model) '
            'or the backbone\'s init_cfg.')
    return meta


def resolve_resume(resume_arg: Optional[str],
                   work_dir: str) -> Tuple[str, Dict[str, Any]]:
    """Turn the value of ``--resume`` into a checked checkpoint path.

    Args:
        resume_arg (str): ``'auto'`` (the flag without a path) or a path.
        work_dir (str): the run's work directory.

    Returns:
        tuple[str, dict]: the checkpoint path and its ``meta``.

    Raises:
        UserError: nothing (readable) to resume, or the given path does
            not exist or is not a readable training checkpoint.
    """
    if resume_arg not in (None, 'auto'):
        path = osp.expanduser(resume_arg)
        if not osp.isfile(path):
            raise UserError(
                f"--resume: checkpoint file not found: '{resume_arg}'")
        return path, read_resume_meta(path)
    skipped = []
    for path in resume_candidates(work_dir):
        try:
            return path, read_resume_meta(path)
        except UnsafeCheckpointError:
            raise  # readable with trust: the user decides, not a fallback
        except Exception as err:  # noqa: B902 any unreadable file
            reason = str(err) if isinstance(err, UserError) else \
                f'{type(err).__name__}: {err}'
            skipped.append(f'{osp.basename(path)}: {reason}')
            print_log(
                f'--resume: skipping {path}: {reason}',
                logger='current',
                level=logging.WARNING)
    if skipped:
        raise UserError(
            f"--resume: no usable checkpoint in work dir '{work_dir}'; "
            'skipped ' + '; '.join(skipped) +
            '. Start without --resume, or give the checkpoint: '
            '--resume PATH.')
    raise UserError(
        f"--resume: nothing to resume in work dir '{work_dir}' (no "
        "'last_checkpoint' record and no epoch_*.pth / iter_*.pth file). "
        'Start without --resume, or give the checkpoint: --resume PATH.')
