"""Helpers shared by the demo benchmarks of the pretraining algorithms
(``ccmim_demo.py``, ``unissl_demo.py``): build a config's model, save its
initial weights for ``load_from``, read the logged loss terms, run the
probes of ``eval_protocols_demo.py``."""
import argparse
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from train_subprocess import TrainProcess, scalar_records


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
    ``load_from`` reads."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    model, _ = build_model(config)
    model.init_weights()
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(seed=seed, config=osp.basename(config))), path)


def load_weights(model, path: str):
    """Load a checkpoint's state dict into ``model`` (strict)."""
    from mmcae.utils.checkpoint_compat import load_local_checkpoint
    state = load_local_checkpoint(path)
    model.load_state_dict(state.get('state_dict', state))
    return model


def log_windows(work_dir: str, keys: Sequence[str],
                window: int = 20) -> Dict[str, Dict[str, float]]:
    """Mean of each logged loss term over the first and last ``window``
    steps (a tenth of the steps for runs shorter than 10 windows)."""
    records = [r for r in scalar_records(work_dir) if keys[0] in r]
    if len(records) < 4:
        raise RuntimeError(f'{work_dir}: {len(records)} logged steps')
    window = min(window, max(2, len(records) // 10))
    out = {}
    for key in keys:
        values = [r[key] for r in records]
        out[key] = dict(first=round(float(np.mean(values[:window])), 4),
                        last=round(float(np.mean(values[-window:])), 4),
                        steps=len(values), window=window)
    return out


def run_probes(args: argparse.Namespace, checkpoint: str,
               cfg_options: Sequence[str] = ()) -> Dict:
    """``eval_protocols_demo.py`` on ``checkpoint`` vs a random encoder
    (``args``: data_root, protocols, probe_seeds, probe_epochs, threads,
    work_dir; ``shots`` if present), with ``cfg_options`` for every probe
    run."""
    import eval_protocols_demo
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
    status = eval_protocols_demo.main(argv)
    with open(out) as f:
        results = json.load(f)
    results['status'] = status
    return results


def demo_parser(description: str, config: str, work_dir: str,
                protocols: Sequence[str],
                eval_help: str) -> argparse.ArgumentParser:
    """The arguments every pretraining demo takes (data, config, run
    length, seed, batch, threads, probes, output); a demo adds its own."""
    parser = argparse.ArgumentParser(
        description=description.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
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
    return parser


def parse_demo_args(parser: argparse.ArgumentParser,
                    argv: Optional[List[str]]) -> argparse.Namespace:
    """Parse, make the paths absolute, check the data and the run length,
    and set torch's threads."""
    args = parser.parse_args(argv)
    args.data_root = osp.abspath(args.data_root)
    args.work_dir = osp.abspath(args.work_dir)
    if args.iters < 10:
        parser.error('--iters must be >= 10')
    if not osp.isfile(osp.join(args.data_root, 'meta', 'train.txt')):
        parser.error(f'{args.data_root} is not an ImageNet-layout set; make '
                     'one with tools/misc/make_demo_data.py --size medium')
    torch.set_num_threads(args.threads)
    return args


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
    run = TrainProcess('pretrain', args.config, work_dir, [
        f'train_dataloader.dataset.data_root={args.data_root}',
        f'randomness.seed={args.seed}', f'load_from={init}',
        f'train_dataloader.batch_size={args.batch_size}',
        f'train_cfg.max_iters={args.iters}', f'param_scheduler.0.end={warmup}',
        f'param_scheduler.1.begin={warmup}',
        f'param_scheduler.1.end={args.iters}',
        f'param_scheduler.1.T_max={args.iters - warmup}',
        f'default_hooks.checkpoint.interval={args.iters}'
    ], args.threads)
    run.start()
    seconds = run.wait()
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        trained = f.read().strip()
    return init, work_dir, trained, seconds


def print_table(rows: Sequence[Tuple[str, float, float]],
                probes: Optional[Dict], method: str) -> None:
    """The before / after table, with the probes' mean top-1."""
    print('\n| quantity | init / first | trained / last |\n|---|---|---|')
    for name, before, after in rows:
        print(f'| {name} | {before:.4f} | {after:.4f} |')
    if probes:
        for protocol, result in probes['protocols'].items():
            mean = result['mean_top1']
            print(f'| {protocol} probe top-1 (random / {method}) | '
                  f'{mean["random"]:.2f} | {mean["pretrained"]:.2f} |')


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
