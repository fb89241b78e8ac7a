#!/usr/bin/env python
"""The small-scale protocol on real images, one command, resumable.

    python tools/benchmark/small_scale.py [--work-dir work_dirs/small_scale]
        [--cifar-root data/cifar10] [--camvid-root data/camvid]
        [--methods cae cae-no-align mae ccmim unissl random]
        [--protocols lin att ft knn camvid] [--seeds 0 1 2]
        [--jobs 2] [--threads 1] [--dry-run]

Pretrains each method on CIFAR-10 (configs/benchmarks/*_cifar10.py),
publishes its encoder, evaluates it with the linear probe, the attentive
probe, fine-tuning and k-NN on the CIFAR-10 test split and with UperNet on
CamVid's test split, against a random encoder, then prints the table
(mean ± sample std over seeds; pretraining and evaluation minutes) and
writes WORK_DIR/results.{json,md}. CAE and random init run seeds 0, 1, 2
on LIN and CamVid, every other cell seed 0; ``--seeds`` keeps only the
given seeds (and may add seeds to those cells).

Interrupted, the same command continues: finished runs
(WORK_DIR/results/<step>.json) are not redone and a pretraining resumes
from its last epoch. Any single cell is ``tools/train.py CONFIG
--cfg-options ...``: the command line is the first line of its log
(WORK_DIR/logs/<step>.log) and is recorded in its result file.
configs/benchmarks/README.md has the protocol and the measured table.
"""
import argparse
import os
import os.path as osp
import sys

from mmcae.runs.small_scale import (METHODS, PROTOCOLS, ProtocolSettings,
                                    run_protocol)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/small_scale')
    parser.add_argument('--cifar-root', default='data/cifar10')
    parser.add_argument('--camvid-root', default='data/camvid')
    parser.add_argument('--methods', nargs='+', choices=list(METHODS),
                        default=list(METHODS))
    parser.add_argument('--protocols', nargs='+', choices=list(PROTOCOLS),
                        default=list(PROTOCOLS))
    parser.add_argument('--seeds', nargs='+', type=int, default=None)
    parser.add_argument('--pretrain-seed', type=int, default=0)
    parser.add_argument(
        '--jobs', type=int, default=None,
        help='processes at a time (default: one per core, at most 4)')
    parser.add_argument(
        '--threads', type=int, default=None,
        help='OpenMP threads of each (default: the cores shared out)')
    parser.add_argument('--dry-run', action='store_true',
                        help='list the steps and whether they are done')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(
        os, 'sched_getaffinity') else (os.cpu_count() or 1)
    jobs = args.jobs or max(1, min(cores, 4))
    for name, root in (('--cifar-root', args.cifar_root),
                       ('--camvid-root', args.camvid_root)):
        if not osp.isdir(root):
            print(f'small_scale.py: error: {name} {root} is not a directory '
                  '(docs/datasets.md says how to get it)', file=sys.stderr)
            return 2
    settings = ProtocolSettings(
        work_dir=osp.abspath(args.work_dir),
        cifar_root=osp.abspath(args.cifar_root),
        camvid_root=osp.abspath(args.camvid_root), methods=args.methods,
        protocols=args.protocols, seeds=args.seeds,
        pretrain_seed=args.pretrain_seed, jobs=jobs,
        threads=args.threads or max(1, cores // jobs))
    return run_protocol(settings, dry_run=args.dry_run)


if __name__ == '__main__':
    sys.exit(main())
