"""What torch's safe unpickler may rebuild from an mmcae checkpoint.

Since torch 2.6, ``torch.load`` unpickles with ``weights_only=True`` by
default: only tensors, containers and explicitly allow-listed globals may be
rebuilt. mmengine 0.10.7 cannot load its own resume checkpoints that way:

* the message hub stores :class:`mmengine.logging.HistoryBuffer` objects,
  whose pickled form (protocol 2, torch's default) reaches the class's
  methods through ``getattr(HistoryBuffer, 'min')``. Allow-listing
  ``builtins.getattr`` would let a file call ANY attribute of an allowed
  object (``ndarray.tofile`` writes files), so that is not an option;
* history buffers and run-time info hold numpy arrays and scalars.

So a ``copyreg`` reducer (:func:`reduce_history_buffer`, registered by
:func:`mmcae.checkpoint.install.install_safe_loading`) makes every
HistoryBuffer pickle as ``_rebuild_history_buffer(max_length, log_history,
count_history)`` with plain lists: data only, no method references.
``copy.deepcopy`` (which the message hub uses) goes through the same reducer
and stays exact. :data:`SAFE_GLOBALS` is that rebuild function plus numpy's
array / dtype / scalar reconstruction (numpy object arrays are rebuilt by
the same restricted unpickler, so they add no hole).
"""
import pickle
from typing import Any, List, Set

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


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


def reduce_history_buffer(buffer: HistoryBuffer) -> tuple:
    """The ``copyreg`` reducer of :class:`HistoryBuffer`: plain data only.
    """
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


def allowed_global_names() -> Set[str]:
    """The ``module.name`` of every global torch's safe unpickler accepts
    here (its defaults plus :data:`SAFE_GLOBALS`); empty when torch's
    private API moved (then every referenced global is named)."""
    try:
        from torch import _weights_only_unpickler as unpickler
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return set(unpickler._get_allowed_globals()) | set(
                unpickler._get_user_allowed_globals())
    except Exception:  # noqa: B902 private API moved: name every global
        return set()
