"""Does CAE pretraining help classification? LIN, ATT and FT on the demo set.

The three evaluation protocols of the CAE papers' Table 1 -- linear probing
(LIN), attentive probing (ATT) and fine-tuning (FT) -- run with the tiny
demo configs of ``configs/cae/benchmarks/`` on the 'medium' demo ImageNet
set, twice per seed (same seed, same data order): from a CAE encoder
pretrained by the demo CAE config, and from a random encoder. Prints the
top-1 accuracies per seed and their means (also written as JSON) and exits
with status 1 unless the pretrained encoder's mean top-1 beats the random
one's on LIN and on ATT.

    python tools/misc/make_demo_data.py --out data/demo --size medium
    python tools/benchmark/pretrained_vs_random.py classification \\
        [--pretrained CHECKPOINT] [--data-root data/demo/imagenet] \\
        [--shots 0] [--out results.json]

Without ``--pretrained`` the demo CAE pretraining runs first
(``configs/cae/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py``, stretched to
``--pretrain-epochs``, 40 by default: about 12 minutes on 2 cores) and its
last checkpoint is probed. ``--pretrained`` takes any checkpoint of the
demo architecture in a layout mmcae's converter reads (the full CAE
checkpoint of that config, a converted encoder, ...).

The demo classes differ in shape AND hue, so a random ViT's features
already separate them well and the full-data probes come close to 100 %
either way. ``--shots K`` trains every protocol on K images per class
(the same K for both encoders; evaluation always on the whole val split), a
low-shot regime where the quality of the features shows more clearly.

Each run is ``tools/train.py`` on its config in its own subprocess (the
numbers a user gets from the tools); the two runs of a protocol go side by
side, one thread each (``--sequential --threads 2`` runs them one after the
other).
"""
import argparse
import json
import os
import os.path as osp
import random
import sys
import time
from collections import defaultdict
from typing import Dict, List, Optional

from mmcae.runs.jobs import TrainJob, add_job_arguments, run_all
from mmcae.runs.scalars import loss_window, scalar_records, values
from mmcae.utils.errors import UserError

PRETRAIN_CONFIG = 'configs/cae/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py'
CONFIGS = {
    'linear': 'configs/cae/benchmarks/vit-tiny-p8_linear-probe_1xb64-lars-'
    '20e_demo-in1k.py',
    'attentive': 'configs/cae/benchmarks/vit-tiny-p8_attentive-probe_1xb64-'
    'sgd-20e_demo-in1k.py',
    'finetune': 'configs/cae/benchmarks/vit-tiny-p8_finetune_1xb64-20e_'
    'demo-in1k.py',
}
#: protocols on which the pretrained encoder must win (fine-tuning is
#: reported, not asserted: with enough labelled data both encoders reach
#: the same accuracy on this easy set)
MUST_WIN = ('linear', 'attentive')
#: classes of the demo ImageNet set (a low-shot split has shots x this)
DEMO_CLASSES = 8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options."""
    parser.add_argument(
        '--pretrained',
        help='a demo-architecture CAE checkpoint; without it the demo CAE '
        'pretraining runs first')
    parser.add_argument(
        '--pretrain-epochs', type=int, default=40,
        help='epochs of that pretraining (default 40)')
    parser.add_argument(
        '--data-root', default='data/demo/imagenet',
        help='the demo ImageNet set (make_demo_data.py --size medium)')
    parser.add_argument(
        '--protocols', nargs='+', choices=sorted(CONFIGS),
        default=['linear', 'attentive', 'finetune'])
    parser.add_argument('--epochs', type=int, default=20,
                        help='epochs per protocol run (default 20)')
    parser.add_argument('--warmup', type=int, default=2,
                        help='warmup epochs (default 2)')
    parser.add_argument(
        '--shots', type=int, default=0,
        help='train on this many images per class (0: all)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument(
        '--seeds', type=int, nargs='+', default=[0, 1, 2],
        help='one pair of runs per seed and protocol; the verdict is on '
        'the mean top-1 (default 0 1 2)')
    add_job_arguments(parser)
    parser.add_argument(
        '--work-dir', default=osp.join('work_dirs', 'eval_protocols_demo'))
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument(
        '--cfg-options', nargs='+',
        help='more key=value overrides for every protocol run')


def check_imagenet_layout(data_root: str) -> None:
    """Raise a :class:`UserError` unless ``data_root`` is an
    ImageNet-layout set (``meta/train.txt``)."""
    if not osp.isfile(osp.join(data_root, 'meta', 'train.txt')):
        raise UserError(f'{data_root} is not an ImageNet-layout set; make '
                        'one with tools/misc/make_demo_data.py --size medium')


def check_arguments(args: argparse.Namespace) -> None:
    """Make the paths absolute and check the data, the checkpoint and the
    schedule before any work starts."""
    args.data_root = osp.abspath(args.data_root)
    args.work_dir = osp.abspath(args.work_dir)
    check_imagenet_layout(args.data_root)
    if args.pretrained and not osp.isfile(args.pretrained):
        raise UserError(f'pretrained checkpoint not found: {args.pretrained}')
    if not 0 < args.warmup < args.epochs:
        raise UserError('--warmup must be in (0, --epochs)')
    if args.shots < 0:
        raise UserError('--shots must be >= 0')
    if args.shots and args.batch_size > args.shots * DEMO_CLASSES:
        raise UserError(f'--batch-size {args.batch_size} exceeds the '
                        f'{args.shots * DEMO_CLASSES} low-shot images '
                        '(drop_last)')


def epoch_schedule(epochs: int, warmup: int) -> List[str]:
    """``--cfg-options`` that stretch a demo config's schedule (linear
    warmup, then cosine) to ``epochs``, evaluating once at the end."""
    return [
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
        f'param_scheduler.0.end={warmup}',
        f'param_scheduler.1.begin={warmup}', f'param_scheduler.1.end={epochs}',
        f'param_scheduler.1.T_max={epochs - warmup}',
        f'default_hooks.checkpoint.interval={epochs}'
    ]


def write_low_shot_split(data_root: str, shots: int, seed: int,
                         out_dir: str) -> str:
    """An annotation file with ``shots`` random training images per class.

    Args:
        data_root (str): an ImageNet-layout set (meta/train.txt).
        shots (int): images per class.
        seed (int): the sampling seed.
        out_dir (str): where the file goes.

    Returns:
        str: its absolute path (lines 'class/image.JPEG label').

    Raises:
        ValueError: a class has fewer than ``shots`` training images.
    """
    by_class: Dict[str, List[str]] = defaultdict(list)
    with open(osp.join(data_root, 'meta', 'train.txt')) as f:
        for line in f:
            if line.strip():
                by_class[line.split()[-1]].append(line.strip())
    rng = random.Random(seed)
    chosen = []
    for label in sorted(by_class, key=int):
        lines = by_class[label]
        if len(lines) < shots:
            raise ValueError(f'class {label} of {data_root} has only '
                             f'{len(lines)} training images (< {shots})')
        chosen += rng.sample(lines, shots)
    os.makedirs(out_dir, exist_ok=True)
    path = osp.abspath(osp.join(out_dir, f'train_{shots}shot_seed{seed}.txt'))
    with open(path, 'w') as f:
        f.write('\n'.join(chosen) + '\n')
    return path


def last_top1(work_dir: str) -> Dict[str, object]:
    """The last validation top-1 and the first / last train losses of a
    run."""
    records = scalar_records(work_dir)
    top1 = values(records, 'accuracy/top1')
    if not top1:
        raise RuntimeError(f'{work_dir} logged no accuracy/top1')
    return dict(top1=top1[-1], **loss_window(records))


def pretrain(args: argparse.Namespace) -> str:
    """Run the demo CAE pretraining; returns its last checkpoint."""
    epochs = args.pretrain_epochs
    work_dir = osp.join(args.work_dir, 'pretrain')
    job = TrainJob('pretrain', PRETRAIN_CONFIG, work_dir, [
        f'train_dataloader.dataset.data_root={args.data_root}',
        f'randomness.seed={args.seeds[0]}', f'train_cfg.max_epochs={epochs}',
        f'param_scheduler.1.T_max={epochs - 1}',
        f'param_scheduler.1.end={epochs}',
        f'default_hooks.checkpoint.interval={epochs}'
    ], args.threads * 2 if not args.sequential else args.threads)
    job.start()
    seconds = job.wait()
    checkpoint = osp.join(work_dir, f'epoch_{epochs}.pth')
    print(f'[pretrain] {epochs} epochs in {seconds / 60:.1f} min: '
          f'{checkpoint}', flush=True)
    return checkpoint


def run_protocol(protocol: str, args: argparse.Namespace, checkpoint: str,
                 ann_file: Optional[str], seed: int) -> Dict:
    """Both runs of a protocol with one seed; returns their results."""
    options = [
        f'{loader}.dataset.data_root={args.data_root}'
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader')
    ]
    options += epoch_schedule(args.epochs, args.warmup)
    options += [
        f'randomness.seed={seed}',
        f'train_dataloader.batch_size={args.batch_size}'
    ]
    if ann_file:
        options.append(f'train_dataloader.dataset.ann_file={ann_file}')
    options += args.cfg_options or []
    load = f'model.backbone.init_cfg.checkpoint={checkpoint}'
    where = osp.join(args.work_dir, protocol, f'seed{seed}')
    jobs = [
        TrainJob(f'{protocol}/pretrained/seed{seed}', CONFIGS[protocol],
                 osp.join(where, 'pretrained'), options + [load],
                 args.threads),
        TrainJob(f'{protocol}/random/seed{seed}', CONFIGS[protocol],
                 osp.join(where, 'random'),
                 options + ['model.backbone.init_cfg=None'], args.threads),
    ]
    seconds = run_all(jobs, args.sequential)
    out = {}
    for job in jobs:
        entry = last_top1(job.work_dir)
        entry.update(seconds=round(seconds[job.name], 1), log=job.log_path)
        out[job.name.split('/')[1]] = entry
        print(f'[{job.name}] top-1 {entry["top1"]:.2f}  loss '
              f'{entry["first_loss"]:.3f} -> {entry["last_loss"]:.3f}  '
              f'({entry["seconds"] / 60:.1f} min)', flush=True)
    out['gain'] = round(out['pretrained']['top1'] - out['random']['top1'], 2)
    return out


def compare_protocol(protocol: str, args: argparse.Namespace,
                     checkpoint: str, ann_file: Optional[str]) -> Dict:
    """Both runs of a protocol for every seed: per-seed results, mean
    top-1 of each encoder, the gain of the means, wins and ties."""
    per_seed = {
        f'seed{seed}': run_protocol(protocol, args, checkpoint, ann_file,
                                    seed)
        for seed in args.seeds
    }
    mean = {
        init: round(
            sum(r[init]['top1'] for r in per_seed.values()) / len(per_seed),
            2)
        for init in ('pretrained', 'random')
    }
    print(f'[{protocol}] mean top-1 pretrained {mean["pretrained"]:.2f}'
          f' vs random {mean["random"]:.2f} over seeds {args.seeds}',
          flush=True)
    return dict(
        mean_top1=mean,
        gain=round(mean['pretrained'] - mean['random'], 2),
        wins=sum(r['gain'] > 0 for r in per_seed.values()),
        ties=sum(r['gain'] == 0 for r in per_seed.values()),
        seeds=per_seed)


def run(args: argparse.Namespace) -> int:
    """Pretrain (unless ``--pretrained``), run every protocol from both
    encoders, print and write the summary.

    Returns:
        int: 1 if the pretrained encoder does not beat the random one on
        every protocol of :data:`MUST_WIN` that ran, else 0.
    """
    started = time.perf_counter()
    checkpoint = (osp.abspath(args.pretrained)
                  if args.pretrained else pretrain(args))
    ann_file = None
    if args.shots:
        ann_file = write_low_shot_split(args.data_root, args.shots,
                                        args.seeds[0], args.work_dir)
    results = {
        protocol: compare_protocol(protocol, args, checkpoint, ann_file)
        for protocol in args.protocols
    }
    summary = dict(
        data_root=args.data_root,
        pretrained_checkpoint=checkpoint,
        pretrained_here=not args.pretrained,
        pretrain_epochs=None if args.pretrained else args.pretrain_epochs,
        epochs=args.epochs,
        shots_per_class=args.shots or 'all',
        batch_size=args.batch_size,
        seeds=args.seeds,
        threads_per_run=args.threads,
        side_by_side=not args.sequential,
        minutes=round((time.perf_counter() - started) / 60, 1),
        protocols=results)
    print(json.dumps(summary, indent=2))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(summary, f, indent=2)
    lost = [p for p in MUST_WIN if p in results and results[p]['gain'] <= 0]
    if lost:
        print(f'FAILED: the pretrained encoder does not beat the random one '
              f'on {lost}', file=sys.stderr)
        return 1
    print('pretrained > random on ' +
          ', '.join(p for p in MUST_WIN if p in results))
    return 0
