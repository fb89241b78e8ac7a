"""Hooks that mmcae's runner adds to or puts in place of mmengine's."""
from .checkpoint_hook import CheckpointHook
from .nonfinite_guard_hook import NonFiniteError, NonFiniteGuardHook

__all__ = ['CheckpointHook', 'NonFiniteError', 'NonFiniteGuardHook']
