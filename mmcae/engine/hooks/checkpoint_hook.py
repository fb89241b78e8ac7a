"""mmengine's CheckpointHook, made crash-safe and exact to resume from.

Why not mmengine's hook as it is: its ``_save_checkpoint_with_step``
deletes the oldest checkpoint BEFORE it writes the new one and writes
``last_checkpoint`` right after; with ``max_keep_ckpts=1`` a run killed
while writing leaves a partial file, no complete checkpoint and a
``last_checkpoint`` that names a deleted file. Its best-checkpoint path
deletes the previous best before writing the new one. And it writes no
generator state, so a resumed run draws other random numbers than the run
it continues. This hook:

1. writes the new checkpoint first (:meth:`mmcae.engine.Runner.
   save_checkpoint` writes ``NAME.partial`` and renames it), then deletes
   the checkpoints beyond ``max_keep_ckpts``, then rewrites
   ``last_checkpoint`` (also through a ``.partial`` file);
2. removes the ``.partial`` files a killed save left behind, when the next
   run of the work dir starts;
3. stores every rank's generator states in the checkpoint
   (``random_states``) and restores this rank's when a run resumes, just
   before training goes on; validation runs with its own generators and
   gives the training ones back unchanged, so that a run resumed after a
   validation draws what the uninterrupted run drew.

mmcae's runner puts this hook in place of mmengine's ``CheckpointHook``
(same arguments); configs need no change.
"""
import logging
import os.path as osp
from typing import Any, List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop

from mmcae.checkpoint.atomic import (remove_partial_files,
                                    write_bytes_atomically)
from mmcae.registry import HOOKS
from ..random_state import (gather_random_states, get_random_state,
                            set_random_state)

class _RestoreAfterReplay:
    """The iterator of mmengine's IterBasedTrainLoop, which restores the
    generator states once the batches it replays on resume are drawn.

    On resume, ``IterBasedTrainLoop.run`` draws (and drops) every batch
    the run had trained on; with ``num_workers=0`` the transforms draw
    those batches' random numbers in the main process, after the states
    were restored, and the next batch would differ from the uninterrupted
    run's.
    """

    def __init__(self, iterator, replayed: int, state: dict):
        self._iterator = iterator
        self._remaining = replayed
        self._state: Optional[dict] = state

    def __iter__(self):
        return self

    def __next__(self):
        if self._remaining > 0:
            self._remaining -= 1
        elif self._state is not None:
            set_random_state(self._state)
            self._state = None
        return next(self._iterator)

    def __getattr__(self, name: str):
        return getattr(self._iterator, name)


@HOOKS.register_module()
class CheckpointHook(MMEngineCheckpointHook):
    """mmengine's :class:`~mmengine.hooks.CheckpointHook` (same arguments)
    that never deletes a checkpoint before its successor is complete and
    that saves and restores the generator states (module docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._random_states: Optional[List[Any]] = None
        self._resumed_states: Optional[List[Any]] = None
        self._train_state_before_val: Optional[dict] = None

    # ----------------------------------------------------------- saving
    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process() and osp.isdir(self.out_dir):
            for path in remove_partial_files(self.out_dir):
                print_log(
                    f'removed {path}: the partial file of a save that did '
                    'not finish (the run was killed while writing it)',
                    logger='current')
        if self._resumed_states is not None:
            self._restore_resumed_states(runner)

    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: dict) -> None:
        """Write the checkpoint of ``step``, then rotate, then point
        ``last_checkpoint`` at it (mmengine's order is the reverse)."""
        # every rank takes part: the states are gathered collectively
        self._random_states = gather_random_states()
        ckpt_filename = self.filename_tmpl.format(step)
        previous_last = self.last_ckpt
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        kept = list(self.keep_ckpt_ids) if self.max_keep_ckpts > 0 else []
        dropped: List[int] = []
        if self.max_keep_ckpts > 0 and (not kept or kept[-1] != step):
            kept.append(step)
            dropped = kept[:-self.max_keep_ckpts]
            kept = kept[-self.max_keep_ckpts:]
            # the checkpoint records the list it belongs to
            runner.message_hub.update_info('keep_ckpt_ids', kept)
        try:
            runner.save_checkpoint(
                self.out_dir,
                ckpt_filename,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
        except BaseException:
            self.last_ckpt = previous_last
            runner.message_hub.update_info('last_ckpt', previous_last)
            if self.max_keep_ckpts > 0:
                runner.message_hub.update_info('keep_ckpt_ids',
                                               list(self.keep_ckpt_ids))
            raise
        finally:
            self._random_states = None
        if self.max_keep_ckpts > 0:
            self.keep_ckpt_ids.clear()
            self.keep_ckpt_ids.extend(kept)
        if not is_main_process():
            return
        for old_step in dropped:
            self._remove(self.filename_tmpl.format(old_step))
        record = osp.join(runner.work_dir, 'last_checkpoint')
        write_bytes_atomically(record, str(self.last_ckpt).encode())

    def _remove(self, filename: str) -> None:
        path = self.file_backend.join_path(self.out_dir, filename)
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):  # deepspeed's directories
            self.file_backend.rmtree(path)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        """mmengine's best-checkpoint logic, with the previous best removed
        only after the new one is written."""
        backend = self.file_backend
        deferred: List[tuple] = []
        backend.remove = lambda path: deferred.append(('remove', path))
        backend.rmtree = lambda path: deferred.append(('rmtree', path))
        try:
            super()._save_best_checkpoint(runner, metrics)
        finally:
            del backend.remove, backend.rmtree  # the class's methods again
        for how, path in deferred:
            getattr(backend, how)(path)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        states = self._random_states
        if states is None:  # a save outside the periodic one (best ckpt)
            states = [get_random_state()] if runner.world_size == 1 else None
        if states is not None:
            checkpoint['random_states'] = states

    # ------------------------------------------------------- resuming
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # load_from (fine-tuning from weights) keeps the run's own seeds
        if getattr(runner, '_resume', False):
            self._resumed_states = checkpoint.get('random_states')
            if self._resumed_states is None:
                print_log(
                    'the checkpoint holds no generator states (written '
                    'before mmcae saved them): the resumed run goes on with '
                    'other random numbers than an uninterrupted run',
                    logger='current', level=logging.WARNING)

    def _restore_resumed_states(self, runner) -> None:
        states, self._resumed_states = self._resumed_states, None
        if len(states) != runner.world_size:
            print_log(
                f'the checkpoint holds the generator states of '
                f'{len(states)} processes, this run has '
                f'{runner.world_size}: they are not restored, so the '
                'resumed run is not an exact continuation',
                logger='current', level=logging.WARNING)
            return
        state = states[runner.rank]
        loop = runner.train_loop
        if isinstance(loop, IterBasedTrainLoop) and runner.iter > 0:
            loop.dataloader_iterator = _RestoreAfterReplay(
                loop.dataloader_iterator, runner.iter, state)
        else:
            set_random_state(state)

    # ------------------------------------------- validation leaves no trace
    def before_val(self, runner) -> None:
        self._train_state_before_val = get_random_state()

    def after_val(self, runner) -> None:
        if self._train_state_before_val is not None:
            set_random_state(self._train_state_before_val)
            self._train_state_before_val = None
