"""Make mmengine save and load checkpoints through :mod:`mmcae.checkpoint`.

:func:`install_safe_loading` runs once when :mod:`mmcae.checkpoint` is
imported (``import mmcae`` does that, and so does every config naming an
``mmcae.`` type):

1. **Saving**: a ``copyreg`` reducer makes every
   :class:`mmengine.logging.HistoryBuffer` pickle as data only (see
   :mod:`mmcae.checkpoint.safe_globals`), so what an mmcae run saves loads
   with ``weights_only=True``.
2. **Local files**: the ``''`` scheme of
   :class:`mmengine.runner.CheckpointLoader` (used by ``Runner.resume``,
   ``load_from`` and ``init_cfg=dict(type='Pretrained')``) becomes
   :func:`~mmcae.checkpoint.reader.load_local_checkpoint`.
3. **Downloads**: mmengine's URL schemes (``http(s)://``,
   ``torchvision://``, ``open-mmlab://``, ``mmcls://``) reach
   ``mmengine.runner.checkpoint.load_url``, which becomes
   :func:`~mmcae.checkpoint.reader.load_url_checkpoint`.

Why patch mmengine rather than wrap it: the runner, ``Pretrained`` init and
the frameworks' own tools all call ``CheckpointLoader``; replacing its
schemes is the one place that covers every caller.
"""
import copyreg
from typing import Any, Callable

from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

from .reader import load_local_checkpoint, load_url_checkpoint
from .safe_globals import reduce_history_buffer


def _mmengine_local_loader(filename: str, map_location: Any) -> Any:
    """mmengine's ``CheckpointLoader`` scheme for local paths."""
    return load_local_checkpoint(filename, map_location)


def install_safe_loading() -> None:
    """Register the safe pickled form and the safe local and URL loaders.

    Idempotent.
    """
    copyreg.pickle(HistoryBuffer, reduce_history_buffer)
    loader: Callable = _mmengine_local_loader
    CheckpointLoader.register_scheme(prefixes='', loader=loader, force=True)
    # mmengine's load_from_http (used by every URL-like scheme) calls this
    # module-level name on rank 0, then on the other ranks after a barrier
    from mmengine.runner import checkpoint as mmengine_checkpoint
    mmengine_checkpoint.load_url = load_url_checkpoint
