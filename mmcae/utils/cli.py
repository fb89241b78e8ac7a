"""What ``tools/train.py`` and ``tools/test.py`` do, for every framework.

One train tool and one test tool serve mmpretrain, mmseg and mmdet configs:
the config's ``default_scope`` makes mmengine import the framework's
modules, so the frameworks' own ``train.py`` scripts differ only in flags.
The flags here are the ones OpenMMLab users expect (``--work-dir``,
``--resume [PATH]``, ``--amp``, ``--auto-scale-lr``, ``--cfg-options``,
``--launcher``), plus ``--trust-checkpoint`` (see
:mod:`mmcae.checkpoint.trust`). Mistakes the user can fix raise
:class:`~mmcae.utils.errors.UserError`, which the tools print as one line.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Callable, List, Optional

from mmengine.config import Config, DictAction

from mmcae.checkpoint import TRUST_ENV_VAR, UnsafeCheckpointError
from .config import load_config
from .dist import prepare_distributed
from .errors import UserError
from .resume import resolve_resume


def _add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        '--work-dir', help='directory for logs and checkpoints')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. '
        'train_dataloader.batch_size=64 model.backbone.drop_path_rate=0.2')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher (dist_train.sh and slurm_train.sh set it)')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help=f'allow full unpickling of checkpoints that torch cannot load '
        f'safely (old mmengine files); same as {TRUST_ENV_VAR}=1')
    # torch.distributed.launch passes --local_rank / --local-rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def build_train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='tools/train.py',
        description='Train with an mmcae, mmpretrain, mmseg or mmdet config.')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from PATH; without PATH, from the latest checkpoint in '
        'the work dir (an error if there is none)')
    parser.add_argument(
        '--amp', action='store_true', help='mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the lr by (total batch size / '
        'auto_scale_lr.base_batch_size)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='skip validation during training')
    _add_common_args(parser)
    return parser


def build_test_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='tools/test.py',
        description='Evaluate a checkpoint with an mmcae, mmpretrain, mmseg '
        'or mmdet config.')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out',
        help='dump the raw predictions to this pickle file (masks of '
        'detection configs as COCO RLE, as mmdet\'s test tool does)')
    parser.add_argument(
        '--show',
        action='store_true',
        help='show each test image with its prediction in a window')
    parser.add_argument(
        '--show-dir',
        help='save every test image drawn with its prediction (and ground '
        'truth) to this directory (mmseg configs: DIR/vis_data/vis_image)')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='seconds each image stays up with --show (default 2)')
    _add_common_args(parser)
    return parser


def _common_setup(args: argparse.Namespace) -> Config:
    if args.launcher != 'none' and 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.trust_checkpoint:
        os.environ[TRUST_ENV_VAR] = '1'  # child processes inherit it
    cfg = load_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    return cfg


def _enable_amp(cfg: Config) -> None:
    """``--amp``: mmengine's ``AmpOptimWrapper`` (float16 with a loss
    scaler) on CUDA; without CUDA, ``mmcae.CPUBF16OptimWrapper`` (CPU
    bfloat16 autocast; it logs its notice line when built). An
    ``AmpOptimWrapper`` config on a CPU is switched by mmcae's Runner."""
    import torch
    optim_wrapper = cfg.get('optim_wrapper')
    if optim_wrapper is None:
        raise UserError(f"--amp: config '{cfg.filename}' has no "
                        'optim_wrapper to switch to mixed precision.')
    wrapper_type = optim_wrapper.get('type', 'OptimWrapper')
    if wrapper_type in ('AmpOptimWrapper', 'mmcae.CPUBF16OptimWrapper'):
        print(
            'tools/train.py: --amp: optim_wrapper is already an '
            f'{wrapper_type}',
            file=sys.stderr)
        return
    if wrapper_type != 'OptimWrapper':
        raise UserError(f"--amp: optim_wrapper.type is '{wrapper_type}'; "
                        "only 'OptimWrapper' can be switched to "
                        "'AmpOptimWrapper'.")
    if not torch.cuda.is_available():
        from mmcae.engine.optimizers import cpu_bf16_optim_wrapper_cfg
        cfg.optim_wrapper = cpu_bf16_optim_wrapper_cfg(optim_wrapper)
        return
    optim_wrapper.type = 'AmpOptimWrapper'
    optim_wrapper.setdefault('loss_scale', 'dynamic')


def _adopt_resumed_seed(cfg: Config, meta: dict) -> None:
    """Build the resumed run with the seed of the run it continues.

    mmengine adopts the checkpoint's seed only in ``Runner.resume``, after
    the training dataloader (sampler and worker seeds) has been built with
    the config's seed, or with a fresh random one when the config has
    none; the data order then differs from the uninterrupted run.
    """
    seed = meta.get('seed')
    if seed is None:
        return
    randomness = dict(cfg.get('randomness') or {})
    if randomness.get('seed') not in (None, seed):
        print(
            f"tools/train.py: --resume: the checkpoint's seed {seed} "
            f"replaces the config's randomness.seed={randomness['seed']}",
            file=sys.stderr)
    randomness['seed'] = seed
    cfg.randomness = randomness


def build_train_config(args: argparse.Namespace,
                       preflight: bool = True) -> Config:
    """Apply the train tool's flags to the config named by ``args``.

    Args:
        args: parsed :func:`build_train_parser` arguments.
        preflight (bool): check that the data and weight files the run
            needs exist (:func:`mmcae.utils.preflight.preflight`; the
            train and val loaders, the model's pretrained checkpoints,
            ``load_from``). Defaults to True.

    Returns:
        Config: ready for ``Runner.from_cfg``.

    Raises:
        UserError: see :func:`mmcae.utils.config.load_config`,
            :func:`mmcae.utils.resume.resolve_resume` and
            :func:`mmcae.utils.preflight.preflight` (every missing file in
            one message).
    """
    cfg = _common_setup(args)
    if args.amp:
        _enable_amp(cfg)
    if args.auto_scale_lr:
        scale_cfg = cfg.get('auto_scale_lr')
        if not scale_cfg or 'base_batch_size' not in scale_cfg:
            raise UserError(
                f"--auto-scale-lr: config '{args.config}' has no "
                'auto_scale_lr.base_batch_size (the total batch size its lr '
                'was set for); add auto_scale_lr = dict(base_batch_size=N).')
        scale_cfg.enable = True
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.resume is not None:
        cfg.resume = True
        cfg.load_from, meta = resolve_resume(args.resume, cfg.work_dir)
        _adopt_resumed_seed(cfg, meta)
    if preflight:  # every missing data / weight file, before any build
        from .preflight import preflight as check_files
        check_files(cfg, ('train', ) if args.no_validate else
                    ('train', 'val'))
    prepare_distributed(cfg, args.launcher)
    return cfg


def build_test_config(args: argparse.Namespace,
                      preflight: bool = True) -> Config:
    """Apply the test tool's flags to the config named by ``args``;
    with ``preflight``, check the test loader's data files
    (:func:`mmcae.utils.preflight.preflight`; the checkpoint argument is
    checked here, and a test builds no pretrained initializer)."""
    cfg = _common_setup(args)
    if not osp.isfile(osp.expanduser(args.checkpoint)):
        raise UserError(f"checkpoint file not found: '{args.checkpoint}'")
    cfg.load_from = osp.expanduser(args.checkpoint)
    if preflight:  # every missing data file, before any build
        from .preflight import preflight as check_files
        check_files(cfg, ('test', ), check_weights=False)
    prepare_distributed(cfg, args.launcher)
    return cfg


def build_runner(cfg: Config):
    """Build the config's runner: ``runner_type`` if the config names one,
    else :class:`mmcae.engine.Runner` (safe resume, crash-safe
    checkpoints, NaN guard, exact resume)."""
    from mmengine.registry import RUNNERS

    from mmcae.engine import Runner
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def finish_distributed(runner=None) -> None:
    """End a distributed run: stop the process group's threads while the
    interpreter is still fully alive.

    The cause of ``terminate called without an active exception`` (SIGABRT
    in one rank, after training has finished and every checkpoint is
    written, so that torchrun reports the run as failed) in CPU runs
    (gloo): a gloo worker thread (``ProcessGroupGloo::runLoop``) frees the
    work of a collective only after ``wait()`` has returned in the main
    thread, and with it (a barrier keeps weak references to the works
    before it) the last reference to tensors made in Python (those of
    ``all_gather_object``, ``broadcast_object_list``, metric collection).
    Freeing such a tensor takes the GIL. When the thread is slow to do it
    (a loaded CPU) and the main thread has meanwhile begun
    ``Py_FinalizeEx``, CPython ends the thread (``pthread_exit``) as it
    asks for the GIL; the forced unwinding runs into the work's
    ``noexcept`` destructor and calls ``std::terminate``.
    ``destroy_process_group`` alone does not help: gloo has no shutdown,
    its threads are joined only by the destructor of ``ProcessGroupGloo``,
    which runs when the last reference goes, and the runner's DDP wrapper
    (and its reducer) keeps one until the garbage collection inside
    ``Py_FinalizeEx``.

    So: a barrier (no process leaves while another still talks), the
    runner's model wrapper replaced by the model it wraps, the process
    group destroyed and the garbage collected: the last reference goes now,
    and the destructor joins gloo's threads (torch releases the GIL for it,
    so the threads' last frees can take it) before this returns.

    Args:
        runner (Runner, optional): the run's runner; its model wrapper
            holds the process group.
    """
    import gc

    import torch.distributed as torch_dist
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return
    torch_dist.barrier()
    if runner is not None:
        from mmengine.model import is_model_wrapper
        if is_model_wrapper(runner.model):
            runner.model = runner.model.module
    torch_dist.destroy_process_group()
    gc.collect()  # a wrapper in a reference cycle goes only with this


def run_train(argv: Optional[List[str]] = None):
    """``tools/train.py``: build the runner and train.

    Returns:
        The runner after training; after a distributed run its ``model``
        is the bare model (see :func:`finish_distributed`).
    """
    args = build_train_parser().parse_args(argv)
    cfg = build_train_config(args)
    runner = build_runner(cfg)
    runner.train()
    from mmengine.dist import get_dist_info
    rank, world_size = get_dist_info()
    print(
        f'tools/train.py: rank {rank}/{world_size} finished: iter '
        f'{runner.iter}, epoch {runner.epoch}, work dir {runner.work_dir}',
        flush=True)
    finish_distributed(runner)
    return runner


def run_test(argv: Optional[List[str]] = None):
    """``tools/test.py``: load the checkpoint and evaluate.

    Returns:
        dict: the metrics.
    """
    from .test_tool import (add_dump_metric, enable_visualization,
                            log_metrics_once)
    args = build_test_parser().parse_args(argv)
    cfg = build_test_config(args)
    enable_visualization(cfg, args.show, args.show_dir, args.wait_time)
    runner = build_runner(cfg)
    # a test run never trains: mmseg's SegVisualizationHook reads
    # runner.iter, which would build the train loop and its dataloader
    # (the training set need not exist where a checkpoint is tested)
    if isinstance(getattr(runner, '_train_loop', None), dict):
        runner._train_loop = None
    log_metrics_once(runner)
    if args.out is not None:
        add_dump_metric(runner, args.out)
    metrics = runner.test()
    finish_distributed(runner)
    return metrics


def run_tool(entry: Callable[[Optional[List[str]]], object],
             argv: Optional[List[str]] = None) -> int:
    """Run a tool's entry point; print a user error as one line.

    User errors are :class:`UserError` and :class:`UnsafeCheckpointError`
    (a checkpoint that needs the ``--trust-checkpoint`` opt-in). One
    raised in a DataLoader worker (e.g. by a transform) reaches this
    process re-raised by torch with the same type and, as its message,
    ``Caught UserError in DataLoader worker process 0.`` and the worker's
    formatted traceback; only its last exception line, the original
    message, is printed.

    Returns:
        int: the exit status (0, or 2 for a user error).
    """
    prog = osp.basename(sys.argv[0]) or 'mmcae'
    try:
        entry(argv)
    except (UserError, UnsafeCheckpointError) as err:
        message = str(err)
        if message.startswith('Caught ') and \
                'Original Traceback' in message:
            # the traceback ends with 'package.module.Name: message'
            lines = message.rstrip().splitlines()
            for index in range(len(lines) - 1, -1, -1):
                head, colon, rest = lines[index].partition(': ')
                if colon and not head.startswith(' ') and \
                        head.split('.')[-1] == type(err).__name__:
                    message = '\n'.join([rest] + lines[index + 1:])
                    break
        print(f'{prog}: error: {message}', file=sys.stderr, flush=True)
        return 2
    return 0
