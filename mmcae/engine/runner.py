"""mmengine's Runner with the guarantees a long pretraining run needs.

``tools/train.py`` and ``tools/test.py`` build every config with this
runner (``runner_type='mmcae.Runner'``) unless the config names another.
What it changes, and why mmengine's runner is not enough:

* **Resume executes nothing.** mmengine's ``Runner.resume`` passes
  ``checkpoint['meta']['config']`` (a plain string, so it passes the safe
  ``weights_only`` unpickler) to ``Config.fromstring(..., '.py')``, which
  executes it. The checkpoint's config string is dropped before that code
  runs; the run's config is the user's config file. (mmengine itself writes
  the config under ``meta['cfg']`` and reads only a ``gpu_ids`` list from
  ``meta['config']``, which mmengine 0.10 never writes, so nothing is lost.)
* **Crash-safe checkpoints.** Every checkpoint is written as
  ``NAME.partial`` and renamed (:mod:`mmcae.checkpoint.atomic`);
  mmengine's ``CheckpointHook`` is replaced by
  :class:`mmcae.engine.hooks.CheckpointHook`, which deletes old
  checkpoints and rewrites ``last_checkpoint`` only after the new file is
  complete.
* **A NaN stops the run**: :class:`mmcae.engine.hooks.NonFiniteGuardHook`
  is a default hook (``default_hooks.nonfinite_guard``; ``None`` turns it
  off).
* **Exact resume**: the checkpoint hook saves and restores every rank's
  generator states; the training dataloader of an epoch-based loop seeds
  its workers from (seed, epoch, rank, worker id)
  (:func:`mmcae.engine.random_state.epoch_worker_init`) and restarts them
  every epoch (``persistent_workers=False``), since a persistent worker's
  generator runs on across epochs and cannot be restored after a restart.
* **Dataset errors name the file**: an exception while a dataset or an
  evaluator is built (a truncated COCO json, a missing folder) is re-raised
  as a :class:`~mmcae.utils.errors.UserError` naming the config section
  and its files.
* **Mixed precision on a CPU**: mmengine's ``AmpOptimWrapper`` asserts a
  CUDA / NPU / MLU / MUSA device. Without one, an ``AmpOptimWrapper``
  config (the ``*-amp-*`` paper configs, ``tools/train.py --amp``) is built
  as :class:`mmcae.engine.optimizers.CPUBF16OptimWrapper` (bfloat16
  autocast, which logs one notice line) instead of failing.
* **The layer-decay lr table shows the lrs used**: with ``auto_scale_lr``
  enabled, the table of
  :class:`~mmcae.engine.optimizers.LayerDecayOptimWrapperConstructor` is
  logged after mmengine's ``scale_lr`` (which runs after the wrapper is
  built), with the scaled lrs.
"""
import copy
import logging
import os
import os.path as osp
from functools import partial
from typing import Any, Dict, Optional, Union

from mmengine.dist import master_only
from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.runner import EpochBasedTrainLoop
from mmengine.runner import Runner as MMEngineRunner

from mmcae.checkpoint.atomic import commit_partial, partial_path
from mmcae.engine.optimizers.cpu_bf16_wrapper import (
    accelerator_available, cpu_bf16_optim_wrapper_cfg, is_amp_wrapper_type)
from mmcae.engine.optimizers.layer_decay_constructor import (
    deferred_table_log, log_layer_decay_table)
from mmcae.registry import RUNNERS
from mmcae.utils.errors import UserError
from .hooks import CheckpointHook, NonFiniteGuardHook
from .random_state import EpochOf, epoch_worker_init

#: the default hooks mmcae adds to mmengine's
MMCAE_DEFAULT_HOOKS = dict(nonfinite_guard=dict(type=NonFiniteGuardHook))

#: dataset / evaluator keys that name files, for error messages
_FILE_KEYS = ('ann_file', 'data_root', 'data_prefix', 'img_dir', 'ann_dir',
              'split', 'seg_map_path', 'img_path')


def _files_named(cfg: Any, found: Optional[list] = None) -> list:
    """The file-naming values of a dataset / evaluator config, nested
    wrappers included, as 'key=value' strings."""
    found = [] if found is None else found
    if isinstance(cfg, dict):
        for key, value in cfg.items():
            if key in _FILE_KEYS and value:
                found.append(f'{key}={value!r}')
            elif isinstance(value, (dict, list, tuple)):
                _files_named(value, found)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            _files_named(value, found)
    return found


def _describe_build_error(what: str, cfg: Any, err: Exception) -> UserError:
    files = _files_named(cfg)
    where = f" ({', '.join(files)})" if files else ''
    detail = str(err).strip().splitlines()
    detail = detail[-1] if detail else ''
    hint = ''
    if type(err).__name__ == 'JSONDecodeError':
        hint = (' The annotation file is not valid JSON: truncated or '
                'corrupt (download or convert it again).')
    return UserError(f'{what}{where} could not be built: '
                     f'{type(err).__name__}: {detail}.{hint}')


def _is_epoch_based(loop_cfg: Any) -> bool:
    if not isinstance(loop_cfg, dict):
        return False
    if 'type' in loop_cfg:
        loop_type = loop_cfg['type']
        if isinstance(loop_type, str):
            loop_type = MMENGINE_LOOPS.get(loop_type)
        return isinstance(loop_type, type) and issubclass(
            loop_type, EpochBasedTrainLoop)
    return bool(loop_cfg.get('by_epoch', False))


def _amp_to_cpu_bf16(optim_wrapper: dict) -> dict:
    """The optim-wrapper config with every ``AmpOptimWrapper`` (top
    level, or one wrapper of a multi-optimizer config) replaced by
    ``mmcae.CPUBF16OptimWrapper``."""
    if is_amp_wrapper_type(optim_wrapper.get('type')):
        return cpu_bf16_optim_wrapper_cfg(optim_wrapper)
    if 'type' in optim_wrapper or 'optimizer' in optim_wrapper:
        return optim_wrapper
    return {
        key: _amp_to_cpu_bf16(value) if isinstance(value, dict) else value
        for key, value in optim_wrapper.items()
    }


@RUNNERS.register_module()
class Runner(MMEngineRunner):
    """:class:`mmengine.runner.Runner` with safe resume, crash-safe
    checkpoints, a NaN guard, exact resume and dataset errors that name
    their files (module docstring). Same arguments."""

    # ------------------------------------------------------------ hooks
    def register_default_hooks(
            self, hooks: Optional[Dict[str, Any]] = None) -> None:
        hooks = dict(hooks or {})
        for name, default in MMCAE_DEFAULT_HOOKS.items():
            if name not in hooks:
                hooks[name] = copy.deepcopy(default)
            elif hooks[name] is None:  # mmengine asserts on unknown None
                hooks.pop(name)
        checkpoint = hooks.get('checkpoint', dict(type='CheckpointHook',
                                                  interval=1))
        if isinstance(checkpoint, dict):
            hook_type = checkpoint.get('type', 'CheckpointHook')
            if isinstance(hook_type, str):
                hook_type = MMENGINE_HOOKS.get(hook_type)
            if hook_type is MMEngineCheckpointHook:
                hooks['checkpoint'] = dict(checkpoint, type=CheckpointHook)
            elif hook_type is not CheckpointHook:
                print_log(
                    f'default_hooks.checkpoint is {hook_type}, not '
                    "mmengine's CheckpointHook: its checkpoints are not "
                    'written crash-safely and hold no generator states',
                    logger='current', level=logging.WARNING)
        super().register_default_hooks(hooks)

    # ------------------------------------------------------- optimizer
    def build_optim_wrapper(self, optim_wrapper):
        """mmengine's ``build_optim_wrapper``; without a CUDA (NPU, MLU,
        MUSA) device an ``AmpOptimWrapper`` config is built as
        ``mmcae.CPUBF16OptimWrapper`` (module docstring)."""
        if isinstance(optim_wrapper, dict) and not accelerator_available():
            optim_wrapper = _amp_to_cpu_bf16(optim_wrapper)
        scaling = isinstance(self.auto_scale_lr, dict) and bool(
            self.auto_scale_lr.get('enable', False))
        with deferred_table_log(scaling):
            return super().build_optim_wrapper(optim_wrapper)

    def scale_lr(self, optim_wrapper, auto_scale_lr=None) -> None:
        """mmengine's ``scale_lr``, then the layer-decay tables whose
        logging :meth:`build_optim_wrapper` deferred, with the scaled lrs.
        """
        wrappers = list(optim_wrapper.values()) if isinstance(
            optim_wrapper, OptimWrapperDict) else [optim_wrapper]
        wrappers = [w for w in wrappers if isinstance(w, OptimWrapper)]
        before = [w.optimizer.param_groups[0]['lr'] for w in wrappers]
        super().scale_lr(optim_wrapper, auto_scale_lr)
        for wrapper, lr in zip(wrappers, before):
            table = getattr(wrapper, 'layer_decay_table', None)
            if table is None or not table.get('pending'):
                continue
            after = wrapper.optimizer.param_groups[0]['lr']
            log_layer_decay_table(
                wrapper, scaled_by=after / lr if lr else None)

    # ------------------------------------------------------ checkpoints
    @master_only
    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[dict] = None,
                        by_epoch: bool = True,
                        backend_args: Optional[dict] = None) -> None:
        """mmengine's ``save_checkpoint``, written as ``NAME.partial`` and
        renamed when complete (local folders; other backends as
        mmengine writes them)."""
        args = dict(
            file_client_args=file_client_args,
            save_optimizer=save_optimizer,
            save_param_scheduler=save_param_scheduler,
            meta=meta,
            by_epoch=by_epoch,
            backend_args=backend_args)
        if file_client_args is not None or backend_args is not None or \
                '://' in str(out_dir):
            return super().save_checkpoint(out_dir, filename, **args)
        path = osp.join(out_dir, filename)
        try:
            super().save_checkpoint(out_dir, osp.basename(partial_path(path)),
                                    **args)
            commit_partial(path)
        except BaseException:
            if osp.exists(partial_path(path)):
                os.remove(partial_path(path))
            raise

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Any] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]):
        checkpoint = super().load_checkpoint(
            filename, map_location, strict=strict, revise_keys=revise_keys)
        meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else {}
        if isinstance(meta, dict) and 'config' in meta:
            # Runner.resume would execute this string (module docstring)
            meta.pop('config')
            print_log(
                f"'{filename}': meta['config'] ignored (the run's config "
                'comes from the config file; a config stored in a '
                'checkpoint is never executed)',
                logger='current', level=logging.WARNING)
        return checkpoint

    # ------------------------------------------------------------ data
    def build_train_loop(self, loop):
        seeded = (
            _is_epoch_based(loop)
            and isinstance(self._train_dataloader, dict)
            and self._train_dataloader.get('num_workers', 0) > 0
            and 'worker_init_fn' not in self._train_dataloader)
        if seeded and self._train_dataloader.get('persistent_workers'):
            self._train_dataloader = dict(
                self._train_dataloader, persistent_workers=False)
            print_log(
                'train_dataloader: workers restart every epoch '
                '(persistent_workers=False) and draw from (seed, epoch, '
                'rank, worker id), so that a resumed run draws the same '
                'augmentations as an uninterrupted one',
                logger='current')
        loop = self._build_or_explain(super().build_train_loop, loop,
                                      'train_dataloader',
                                      self._train_dataloader)
        if seeded:
            dataloader = loop.dataloader
            dataloader.worker_init_fn = partial(
                epoch_worker_init,
                seed=self.seed,
                rank=self.rank,
                epoch_of=EpochOf(dataloader.sampler))
        return loop

    def build_val_loop(self, loop):
        return self._build_or_explain(
            super().build_val_loop, loop, 'val_dataloader / val_evaluator',
            [self._val_dataloader, self._val_evaluator])

    def build_test_loop(self, loop):
        return self._build_or_explain(
            super().build_test_loop, loop,
            'test_dataloader / test_evaluator',
            [self._test_dataloader, self._test_evaluator])

    @staticmethod
    def _build_or_explain(build, loop, what: str, cfg: Any):
        if not isinstance(loop, dict):
            return build(loop)
        try:
            return build(loop)
        except (UserError, KeyboardInterrupt):
            raise
        except (OSError, ValueError) as err:
            # JSONDecodeError is a ValueError; FileNotFoundError an OSError
            raise _describe_build_error(what, cfg, err) from err
