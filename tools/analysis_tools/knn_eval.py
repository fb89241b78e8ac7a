#!/usr/bin/env python
"""Weighted k-NN accuracy of a frozen encoder (DINO's protocol).

    python tools/analysis_tools/knn_eval.py CONFIG [--checkpoint PATH] \\
        [--work-dir DIR] [--k 20] [--temperature 0.07] [--batch-size N] \\
        [--num-workers N] [--device cuda|cpu] [--cfg-options k=v ...] \\
        [--out FILE]

CONFIG is a classification config (a linear probe's, e.g.): its
backbone, initialized from ``init_cfg=dict(type='Pretrained', ...)`` or
from ``--checkpoint`` (an encoder or model checkpoint of any layout that
mmcae.checkpoint reads), gives one feature per image
(``out_type='cls_token'``: the [CLS] after the final norm). Training
features: the train_dataloader's dataset read with the test pipeline;
test features: the test_dataloader's. Each test feature is classified
by its k nearest training features (cosine), each voting with
exp(similarity / T) (:mod:`mmcae.evaluation.knn`).

Prints one line and writes ``--out`` (default ``WORK_DIR/knn.json``,
WORK_DIR defaulting to ``work_dirs/<config name>``) with top1, top5 (%),
k, temperature, num_train, num_test, feature_dims, seconds, config and
checkpoint. The file is written atomically (a ``.partial`` file renamed
at the end): its existence means the evaluation finished.
"""
import argparse
import os.path as osp
import sys
from typing import Dict, List, Optional

from mmengine.config import DictAction

from mmcae.checkpoint.atomic import write_json_atomically
from mmcae.utils.cli import run_tool
from mmcae.utils.errors import UserError


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='tools/analysis_tools/knn_eval.py',
        description='Weighted k-NN classification accuracy of a frozen '
        'encoder (DINO eval_knn protocol).')
    parser.add_argument('config', help='classification config file')
    parser.add_argument(
        '--checkpoint',
        help="encoder checkpoint; replaces the backbone's Pretrained "
        'init_cfg checkpoint (without either: a random encoder)')
    parser.add_argument(
        '--work-dir',
        help='where knn.json goes (default work_dirs/<config name>)')
    parser.add_argument(
        '--k', type=int, default=20, help='neighbours (default 20)')
    parser.add_argument(
        '--temperature',
        type=float,
        default=0.07,
        help='T of the vote weights exp(sim / T) (default 0.07)')
    parser.add_argument(
        '--batch-size',
        type=int,
        help='images per forward pass (default test_dataloader.batch_size)')
    parser.add_argument(
        '--num-workers',
        type=int,
        help="dataloader workers (default: the config's)")
    parser.add_argument(
        '--device', help="'cuda' or 'cpu' (default cuda when available)")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. model.backbone.out_type=cls_token')
    parser.add_argument(
        '--out', help='the JSON file (default WORK_DIR/knn.json)')
    args = parser.parse_args(argv)
    for name in ('k', 'batch_size'):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise UserError(f"--{name.replace('_', '-')} must be >= 1, got "
                            f'{value}')
    if not args.temperature > 0:
        raise UserError(f'--temperature must be > 0, got {args.temperature}')
    return args


def main(argv: Optional[List[str]] = None) -> Dict:
    """Evaluate, print one line, write the JSON; return the record."""
    args = parse_args(argv)
    from mmcae.evaluation import evaluate_knn
    work_dir = args.work_dir or osp.join(
        'work_dirs',
        osp.splitext(osp.basename(args.config))[0])
    out = args.out or osp.join(work_dir, 'knn.json')
    record = evaluate_knn(
        args.config,
        checkpoint=args.checkpoint,
        cfg_options=args.cfg_options,
        k=args.k,
        temperature=args.temperature,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        device=args.device)
    record['config'] = args.config
    write_json_atomically(out, record)
    print(f"k-NN (k={record['k']}, T={record['temperature']}): top-1 "
          f"{record['top1']:.2f} top-5 {record['top5']:.2f} | "
          f"{record['num_train']} train, {record['num_test']} test, "
          f"{record['feature_dims']}-d features, {record['seconds']:.1f} s "
          f"| {args.config} | checkpoint {record['checkpoint']} -> {out}")
    return record


if __name__ == '__main__':
    sys.exit(run_tool(main))
