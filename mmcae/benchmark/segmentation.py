"""Does pretraining help segmentation? A CPU-sized answer on the demo data.

Trains the tiny UperNet demo config
(configs/cae/upernet_vit-tiny-p8_1xb4-200i_demo-ade20k.py: a 4-block, 64-d
ViT with 8 px patches, the paper configs' neck, heads, layer decay and
schedule shape) on the demo ADE20K scenes twice for the same number of
iterations, with the same seed and data order:

1. from a pretrained encoder (``--pretrained``: any ViT checkpoint layout
   mmcae's converter reads, e.g. the demo CAE pretraining's
   ``work_dirs/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k/epoch_10.pth``,
   converted or not);
2. from random weights;

then evaluates both with mmseg's IoUMetric on the validation scenes and
prints / writes both mIoUs as JSON. Each run is ``tools/train.py`` in its
own subprocess, as a user would run it.

    python tools/misc/make_demo_data.py --out data/demo --size medium
    python tools/benchmark/pretrained_vs_random.py segmentation \\
        --pretrained PATH --data-root data/demo/ade20k \\
        --out work_dirs/dense_seg_demo.json

The encoder must match the demo config's backbone (64-d, 4 blocks, 4
heads, 8 px patches, q/v biases, layer scale, as the demo CAE pretraining
config's); a mismatch stops the pretrained run with the loader's message.

Time: the two runs go side by side, one thread each (``--sequential
--threads 2`` runs them one after the other instead: on a shared CPU, two
OpenMP threads per process are several times slower than one). 100
iterations per run plus the validation of the 200 medium scenes took 2.4
minutes for both runs on the 2-core development machine while other jobs
ran (mIoU 70.9 from the 40-epoch demo CAE encoder, 65.1 from random
weights); the default 300 iterations take about 5 minutes there, and
``--iters 1000`` stays within 20 minutes. The gap between the two runs is
largest for short schedules: random weights catch up with longer ones.
"""
import argparse
import json
import math
import os
import os.path as osp
import sys
from typing import Dict, List

from mmcae.runs.jobs import TrainJob, add_job_arguments, run_all
from mmcae.runs.scalars import last_record_with, loss_window, scalar_records
from mmcae.utils.errors import UserError

DEFAULT_CONFIG = osp.join('configs', 'cae',
                          'upernet_vit-tiny-p8_1xb4-200i_demo-ade20k.py')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The benchmark's options."""
    parser.add_argument(
        '--pretrained',
        help='pretrained encoder checkpoint (any layout mmcae reads); '
        'without it only the random-init run is made')
    parser.add_argument(
        '--data-root', default='data/demo/ade20k',
        help='the demo ADE20K set (make_demo_data.py --size medium)')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument(
        '--iters', type=int, default=300, help='iterations per run')
    parser.add_argument(
        '--warmup', type=int, default=20, help='linear warmup iterations')
    parser.add_argument('--seed', type=int, default=0)
    add_job_arguments(parser)
    parser.add_argument(
        '--work-dir', default=osp.join('work_dirs', 'dense_seg_demo'))
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument(
        '--cfg-options', nargs='+',
        help='more key=value overrides for both runs (e.g. '
        'optim_wrapper.optimizer.lr=5e-4)')


def check_arguments(args: argparse.Namespace) -> None:
    """Make the paths absolute; check the data, checkpoint and schedule."""
    args.data_root = osp.abspath(args.data_root)
    args.work_dir = osp.abspath(args.work_dir)
    if not osp.isdir(osp.join(args.data_root, 'images', 'training')):
        raise UserError(f'{args.data_root} is not an ADE20K-layout set; '
                        'make one with tools/misc/make_demo_data.py --size '
                        'medium')
    if args.pretrained and not osp.isfile(args.pretrained):
        raise UserError(f'pretrained checkpoint not found: {args.pretrained}')
    if not 0 < args.warmup < args.iters:
        raise UserError('--warmup must be in (0, --iters)')


def schedule_options(iters: int, warmup: int) -> List[str]:
    """``--cfg-options`` that stretch the demo schedule (warmup, then poly
    to 0) to ``iters`` iterations, evaluating once at the end."""
    return [
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
        f'param_scheduler.0.end={warmup}',
        f'param_scheduler.1.begin={warmup}', f'param_scheduler.1.end={iters}',
        f'default_hooks.checkpoint.interval={iters}'
    ]


def read_metrics(work_dir: str) -> Dict[str, object]:
    """The last validation metrics and the train losses of a run."""
    records = scalar_records(work_dir)
    metrics = last_record_with(records, 'mIoU')
    if metrics is None:
        raise RuntimeError(f'{work_dir} logged no validation metrics')
    return dict(
        mIoU=metrics['mIoU'],
        mAcc=metrics['mAcc'],
        aAcc=metrics['aAcc'],
        **loss_window(records))


class SegmentationJob(TrainJob):
    """One ``tools/train.py`` run of the demo config; ``wait`` returns its
    metrics and wall time."""

    def __init__(self, name: str, args: argparse.Namespace,
                 init_options: List[str]):
        options = [
            f'{loader}.dataset.data_root={args.data_root}'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')
        ]
        options += schedule_options(args.iters, args.warmup)
        options += [f'randomness.seed={args.seed}'] + init_options
        options += args.cfg_options or []
        super().__init__(
            name, args.config, osp.join(args.work_dir, name), options,
            args.threads, osp.join(args.work_dir, f'{name}.log'))

    def wait(self, timeout=None) -> Dict[str, object]:
        seconds = super().wait(timeout)
        result = read_metrics(self.work_dir)
        result.update(seconds=round(seconds, 1), log=self.log_path)
        print(f'[{self.name}] mIoU {result["mIoU"]:.2f}  mAcc '
              f'{result["mAcc"]:.2f}  aAcc {result["aAcc"]:.2f}  loss '
              f'{result["first_loss"]:.3f} -> {result["last_loss"]:.3f}  '
              f'({seconds / 60:.1f} min)', flush=True)
        return result


def run(args: argparse.Namespace) -> int:
    """Both runs (only the random one without ``--pretrained``); prints
    and writes the summary. Returns 0."""
    jobs = []
    if args.pretrained:
        jobs.append(SegmentationJob('pretrained', args, [
            # the demo config's init_cfg is None: replace it by a dict
            'model.backbone.init_cfg._delete_=True',
            'model.backbone.init_cfg.type=Pretrained',
            'model.backbone.init_cfg.checkpoint=' +
            osp.abspath(args.pretrained)
        ]))
    jobs.append(SegmentationJob('random', args,
                                ['model.backbone.init_cfg=None']))
    results = run_all(jobs, args.sequential)
    summary = dict(
        config=args.config,
        data_root=args.data_root,
        iters=args.iters,
        seed=args.seed,
        pretrained_checkpoint=args.pretrained,
        threads_per_run=args.threads,
        side_by_side=not args.sequential,
        runs=results)
    if 'pretrained' in results:
        summary['mIoU_gain'] = round(
            results['pretrained']['mIoU'] - results['random']['mIoU'], 2)
    for result in results.values():
        if not math.isfinite(result['mIoU']):
            print('warning: a non-finite mIoU', file=sys.stderr)
    print(json.dumps(summary, indent=2))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(summary, f, indent=2)
    return 0
