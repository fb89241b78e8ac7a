"""Test-only hooks that inject faults into a real training process and
record its losses. Registered in mmcae's HOOKS registry; configs import
this module (PYTHONPATH=tests/data) and name them ``mmcae.<Hook>``.

* ``LossRecordHook``: appends every iteration's loss terms (full float
  precision) to ``WORK_DIR/losses.jsonl``, flushed each line, so that the
  record survives a kill.
* ``KillAtIterHook``: SIGKILLs its own process after iteration ``at_iter``.
* ``KillDuringSaveHook``: SIGKILLs its own process halfway through writing
  the bytes of its ``at_save``-th checkpoint (1-based): the first half of
  the file is on disk, the rest never comes.
* ``InjectNaNHook``: fills one weight with NaN before iteration ``at_iter``.
"""
import json
import os
import os.path as osp
import signal

import torch
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import Hook

from mmcae.registry import HOOKS


def _kill_now() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class LossRecordHook(Hook):
    priority = 'HIGHEST'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        record = {'iter': runner.iter + 1}
        record.update({k: float(v) for k, v in (outputs or {}).items()})
        with open(osp.join(runner.work_dir, 'losses.jsonl'), 'a') as f:
            f.write(json.dumps(record) + '\n')
            f.flush()


@HOOKS.register_module()
class KillAtIterHook(Hook):
    priority = 'LOWEST'

    def __init__(self, at_iter: int):
        self.at_iter = at_iter

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 == self.at_iter:
            _kill_now()


@HOOKS.register_module()
class KillDuringSaveHook(Hook):

    def __init__(self, at_save: int):
        self.at_save = at_save
        self.saves = 0

    def before_save_checkpoint(self, runner, checkpoint) -> None:
        self.saves += 1
        if self.saves != self.at_save:
            return
        original = LocalBackend.put

        def put_half_then_die(backend, obj, filepath):
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
                f.flush()
                os.fsync(f.fileno())
            _kill_now()
            original(backend, obj, filepath)  # never reached

        LocalBackend.put = put_half_then_die


@HOOKS.register_module()
class InjectNaNHook(Hook):

    def __init__(self, at_iter: int):
        self.at_iter = at_iter

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if runner.iter + 1 != self.at_iter:
            return
        model = runner.model.module if hasattr(runner.model,
                                               'module') else runner.model
        with torch.no_grad():
            next(p for p in model.parameters() if p.requires_grad).fill_(
                float('nan'))
