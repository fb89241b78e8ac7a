"""Safe loading of mmengine checkpoints on torch >= 2.6 (weights_only).

Since torch 2.6, ``torch.load`` unpickles with ``weights_only=True`` by
default: only tensors, containers and explicitly allow-listed globals may be
rebuilt. mmengine 0.10.7 cannot load its own resume checkpoints that way:

* the message hub stores :class:`mmengine.logging.HistoryBuffer` objects,
  whose pickled form (protocol 2, torch's default) reaches the class's
  methods through ``getattr(HistoryBuffer, 'min')``. Allow-listing
  ``builtins.getattr`` would let a file call ANY attribute of an allowed
  object (``ndarray.tofile`` writes files), so that is not an option;
* history buffers and run-time info hold numpy arrays and scalars.

What this module does, in this one place (it is activated by ``import
mmcae``, which every mmcae tool and every config naming an ``mmcae.`` type
triggers):

1. **Saving**: a ``copyreg`` reducer makes every HistoryBuffer pickle as
   ``_rebuild_history_buffer(max_length, log_history, count_history)`` with
   plain lists: data only, no method references. ``copy.deepcopy`` (which
   the message hub uses) goes through the same reducer and stays exact.
2. **Loading**: mmengine's loader for local files (the ``''`` scheme of
   :class:`mmengine.runner.CheckpointLoader`, used by ``Runner.resume``,
   ``load_from`` and ``init_cfg=dict(type='Pretrained')``) is replaced by
   :func:`load_local_checkpoint`, which calls ``torch.load(...,
   weights_only=True)`` with exactly these globals allowed:
   ``_rebuild_history_buffer`` and numpy's array / dtype / scalar
   reconstruction (numpy object arrays are rebuilt by the same restricted
   unpickler, so they add no hole).
3. **Old files**: a checkpoint that still needs full unpickling (written by
   plain mmengine, or an older tool) raises :class:`UnsafeCheckpointError`
   naming the file and what it references. It is loaded with
   ``weights_only=False`` only on an explicit opt-in: the environment
   variable ``MMCAE_TRUST_CHECKPOINTS=1`` (``--trust-checkpoint`` in
   ``tools/train.py`` and ``tools/test.py``), with a warning naming the
   file. ``tools/misc/resave_checkpoint.py`` rewrites such a file in the
   safe form once.
"""
import copyreg
import os
import os.path as osp
import pickle
import warnings
from typing import Any, Callable, List, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

#: environment variable that opts in to full unpickling of old checkpoints
TRUST_ENV_VAR = 'MMCAE_TRUST_CHECKPOINTS'
_TRUE_WORDS = ('1', 'true', 'yes', 'on')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs full unpickling and the user has not opted in."""


def _rebuild_history_buffer(max_length: int, log_history: List[float],
                            count_history: List[int]) -> HistoryBuffer:
    """Rebuild a HistoryBuffer from the plain data of its pickled form."""
    if not isinstance(max_length, int) or not isinstance(
            log_history, list) or not isinstance(count_history, list):
        raise pickle.UnpicklingError(
            'corrupt HistoryBuffer state in checkpoint: expected (int, list, '
            f'list), got ({type(max_length).__name__}, '
            f'{type(log_history).__name__}, {type(count_history).__name__})')
    return HistoryBuffer(log_history, count_history, max_length)


def _reduce_history_buffer(buffer: HistoryBuffer) -> tuple:
    log_history, count_history = buffer.data
    return (_rebuild_history_buffer,
            (int(buffer.max_length), log_history.tolist(),
             count_history.tolist()))


def _numpy_globals() -> List[Any]:
    """Numpy's array, dtype and scalar reconstruction, for numpy 1.x and 2.x.
    """
    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray  # type: ignore
    allowed: List[Any] = [
        multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype
    ]
    dtypes_module = getattr(np, 'dtypes', None)
    if dtypes_module is not None:  # the per-dtype classes (numpy >= 1.25)
        allowed += [
            getattr(dtypes_module, name) for name in dir(dtypes_module)
            if name.endswith('DType')
        ]
    return allowed


#: the globals a checkpoint written by an mmcae run may reference
SAFE_GLOBALS: List[Any] = [_rebuild_history_buffer] + _numpy_globals()


def is_trusted_by_env() -> bool:
    """Whether ``MMCAE_TRUST_CHECKPOINTS`` opts in to full unpickling."""
    return os.environ.get(TRUST_ENV_VAR, '').strip().lower() in _TRUE_WORDS


def _unsafe_globals(path: str) -> List[str]:
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # old (non-zip) format or unreadable: name nothing
        return []


def load_local_checkpoint(filename: str,
                          map_location: Optional[Any] = None,
                          trust: Optional[bool] = None) -> Any:
    """Load a local checkpoint with torch's safe unpickler.

    Args:
        filename (str): path of the checkpoint (``~`` is expanded).
        map_location: as in :func:`torch.load`.
        trust (bool, optional): allow full unpickling when the safe load
            fails. ``None`` (default) reads ``MMCAE_TRUST_CHECKPOINTS``.

    Returns:
        The unpickled checkpoint.

    Raises:
        FileNotFoundError: no file at ``filename``.
        UnsafeCheckpointError: the file needs full unpickling and ``trust``
            is off. Its message names the file, the globals it references
            and how to opt in.
    """
    path = osp.expanduser(filename)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(
                path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if trust is None:
            trust = is_trusted_by_env()
        references = ', '.join(_unsafe_globals(path)) or 'non-tensor objects'
        if not trust:
            raise UnsafeCheckpointError(
                f"checkpoint '{path}' cannot be loaded safely "
                f'(torch.load weights_only=True): it references '
                f'{references}. It was probably written by plain mmengine '
                f'or another tool. If you trust the file, set '
                f'{TRUST_ENV_VAR}=1 (or pass --trust-checkpoint to '
                f'tools/train.py / tools/test.py) to load it with full '
                f'unpickling, or rewrite it once in the safe form with '
                f'tools/misc/resave_checkpoint.py --trust IN OUT.') from err
        warnings.warn(
            f"loading checkpoint '{path}' with full unpickling "
            f'(weights_only=False) because {TRUST_ENV_VAR} is set: this can '
            f'run code stored in the file. It references {references}.',
            stacklevel=2)
        return torch.load(path, map_location=map_location, weights_only=False)


def _mmengine_local_loader(filename: str, map_location: Any) -> Any:
    """mmengine's ``CheckpointLoader`` scheme for local paths."""
    return load_local_checkpoint(filename, map_location)


def install() -> None:
    """Register the safe pickled form and the safe local loader.

    Idempotent; called once when :mod:`mmcae` is imported.
    """
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    loader: Callable = _mmengine_local_loader
    CheckpointLoader.register_scheme(prefixes='', loader=loader, force=True)


install()
