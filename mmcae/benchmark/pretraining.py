"""What the pretraining demos (:mod:`.ccmim`, :mod:`.unissl`) share.

Each demo answers "does the algorithm learn on the demo set?" the same way:
save the config's seeded initial weights, train from them with
``tools/train.py`` (so that the training run and the "init" column start
from the very same weights), compare the logged loss terms of the first
and last steps, evaluate both models on fixed inputs (the demo's own
part), probe the trained encoder against a random one with
:mod:`.classification`, print one before / after table and write the
summary with named checks (exit status 1 if one fails).
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmcae.runs.jobs import TrainJob
from mmcae.runs.tables import markdown_table
from mmcae.utils.errors import UserError
from . import classification


def add_arguments(parser: argparse.ArgumentParser, config: str,
                  work_dir: str, protocols: Sequence[str],
                  eval_help: str) -> None:
    """The options every pretraining demo takes (data, config, run length,
    seed, batch, threads, probes, output); a demo adds its own.

    Args:
        parser (ArgumentParser): the demo's parser.
        config (str): the default ``--config``.
        work_dir (str): the default ``--work-dir``.
        protocols (list[str]): the default ``--protocols``.
        eval_help (str): the help of ``--eval-images``.
    """
    parser.add_argument('--data-root', default='data/demo/imagenet',
                        help='the demo ImageNet set (--size medium)')
    parser.add_argument('--config', default=config)
    parser.add_argument(
        '--iters', type=int, default=200,
        help='pretraining iterations (default 200; warmup a tenth)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--batch-size', type=int, default=32,
        help='pretraining batch (default 32, the config\'s; smaller on '
        'tiny sets: mmengine pauses 2 s at every epoch end)')
    parser.add_argument('--threads', type=int, default=1,
                        help='OMP threads of each run (default 1)')
    parser.add_argument('--eval-images', type=int, default=256,
                        help=eval_help)
    parser.add_argument('--protocols', nargs='+', default=list(protocols),
                        choices=['linear', 'attentive', 'finetune'])
    parser.add_argument('--probe-seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--probe-epochs', type=int, default=20)
    parser.add_argument('--skip-probe', action='store_true')
    parser.add_argument('--work-dir', default=work_dir)
    parser.add_argument('--out', help='write the results as JSON here')


def check_arguments(args: argparse.Namespace) -> None:
    """Make the paths absolute, check the data and the run length, and set
    torch's threads."""
    import torch
    args.data_root = osp.abspath(args.data_root)
    args.work_dir = osp.abspath(args.work_dir)
    if args.iters < 10:
        raise UserError('--iters must be >= 10')
    classification.check_imagenet_layout(args.data_root)
    torch.set_num_threads(args.threads)


def build_model(config: str):
    """The config's model (not initialized) and the config."""
    from mmengine.config import Config
    from mmengine.registry import MODELS, DefaultScope

    import mmcae.models  # noqa: F401 (registers mmcae.*)
    cfg = Config.fromfile(config)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg.model), cfg


def save_initial_weights(config: str, seed: int, path: str) -> None:
    """Initialize the model with ``seed`` and save it as a checkpoint that
    ``load_from`` reads (``meta``: the seed and the config's name)."""
    import numpy as np
    import torch
    torch.manual_seed(seed)
    np.random.seed(seed)
    model, _ = build_model(config)
    model.init_weights()
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(seed=seed, config=osp.basename(config))), path)


def load_weights(model, path: str):
    """Load a full checkpoint of the model's config into ``model`` (every
    key, no extra key, same shapes); returns the model."""
    from mmcae.checkpoint import load_weights_into
    load_weights_into(model, path, allow_unexpected=False)
    return model


def pretrain_from_saved_init(args: argparse.Namespace
                             ) -> Tuple[str, str, str, float]:
    """Save the seeded initial weights, then ``tools/train.py`` for
    ``args.iters`` iterations from them (warmup a tenth, then cosine).

    Returns:
        tuple: the initial checkpoint, the run's work dir, its last
        checkpoint and the run's seconds.
    """
    init = osp.join(args.work_dir, 'init.pth')
    save_initial_weights(args.config, args.seed, init)
    work_dir = osp.join(args.work_dir, 'pretrain')
    warmup = max(1, args.iters // 10)
    job = TrainJob('pretrain', args.config, work_dir, [
        f'train_dataloader.dataset.data_root={args.data_root}',
        f'randomness.seed={args.seed}', f'load_from={init}',
        f'train_dataloader.batch_size={args.batch_size}',
        f'train_cfg.max_iters={args.iters}', f'param_scheduler.0.end={warmup}',
        f'param_scheduler.1.begin={warmup}',
        f'param_scheduler.1.end={args.iters}',
        f'param_scheduler.1.T_max={args.iters - warmup}',
        f'default_hooks.checkpoint.interval={args.iters}'
    ], args.threads)
    job.start()
    seconds = job.wait()
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        trained = f.read().strip()
    return init, work_dir, trained, seconds


def run_probes(args: argparse.Namespace, checkpoint: str,
               cfg_options: Sequence[str] = ()) -> Dict:
    """The classification benchmark on ``checkpoint`` vs a random encoder
    (``args``: data_root, protocols, probe_seeds, probe_epochs, threads,
    work_dir; ``shots`` if present), with ``cfg_options`` for every probe
    run; its summary is also written to ``WORK_DIR/probes.json``.

    Returns:
        dict: that summary, plus ``status`` (its exit status).
    """
    out = osp.join(args.work_dir, 'probes.json')
    argv = [
        '--pretrained', checkpoint, '--data-root', args.data_root,
        '--protocols', *args.protocols, '--seeds',
        *[str(s) for s in args.probe_seeds], '--epochs',
        str(args.probe_epochs), '--threads', str(args.threads),
        '--work-dir', osp.join(args.work_dir, 'probes'), '--out', out
    ]
    if getattr(args, 'shots', 0):
        argv += ['--shots', str(args.shots)]
    if cfg_options:
        argv += ['--cfg-options', *cfg_options]
    parser = argparse.ArgumentParser()
    classification.add_arguments(parser)
    probe_args = parser.parse_args(argv)
    classification.check_arguments(probe_args)
    status = classification.run(probe_args)
    with open(out) as f:
        results = json.load(f)
    results['status'] = status
    return results


def print_table(rows: Sequence[Tuple[str, float, float]],
                probes: Optional[Dict], method: str) -> None:
    """The before / after table, with the probes' mean top-1."""
    cells: List[Tuple[str, str, str]] = [
        (name, f'{before:.4f}', f'{after:.4f}')
        for name, before, after in rows
    ]
    if probes:
        for protocol, result in probes['protocols'].items():
            mean = result['mean_top1']
            cells.append((f'{protocol} probe top-1 (random / {method})',
                          f'{mean["random"]:.2f}',
                          f'{mean["pretrained"]:.2f}'))
    print('\n' + markdown_table(
        ('quantity', 'init / first', 'trained / last'), cells))


def finish(args: argparse.Namespace, summary: Dict,
           checks: Dict[str, bool]) -> int:
    """Write the summary (``--out``), print the verdict; 1 if a check
    failed."""
    summary['checks'] = checks
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(summary, f, indent=2)
    failed = [name for name, ok in checks.items() if not ok]
    print('\n' + ('FAILED: ' + ', '.join(failed) if failed else
                  'all checks passed: ' + ', '.join(checks)))
    return 1 if failed else 0
