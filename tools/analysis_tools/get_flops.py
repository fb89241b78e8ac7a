#!/usr/bin/env python
"""Parameters and FLOPs of a config's model (any framework).

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W]
        [--encoder-only] [--cfg-options key=value ...]

Prints the parameters and FLOPs of the whole model (backbone, neck and
heads, as mmseg's and mmdet's get_flops tools count them) and, on a second
line, of the encoder alone, on one image (224 x 224 for classification and
pretraining, the crop for segmentation, 1024 x 1024 for detection, or
``--shape``), counted by mmengine's FlopAnalyzer; see
mmcae/analysis/complexity.py.
"""
import argparse
import sys

from mmengine.config import DictAction

from mmcae.analysis.complexity import model_complexity
from mmcae.utils.cli import run_tool
from mmcae.utils.config import load_config


def _size(count: int, unit: float, suffix: str) -> str:
    return f'{count:,} ({count / unit:.2f} {suffix})'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='tools/analysis_tools/get_flops.py',
        description=__doc__.split('\n')[1])
    parser.add_argument('config', help='config file path (any framework)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='input image size (default: 224 224 for classification and '
        'pretraining, the crop for segmentation, 1024 1024 for detection)')
    parser.add_argument(
        '--encoder-only',
        action='store_true',
        help='count the encoder only (skips tracing the heads)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. model.backbone.img_size=384')
    return parser


def main(argv=None) -> None:
    args = build_parser().parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    info = model_complexity(cfg, args.shape, not args.encoder_only)
    height, width = info['input_shape']
    lines = [f'{args.config}  (input 1 x 3 x {height} x {width})']
    if info['model_flops'] is not None:
        lines.append('  model:   FLOPs ' +
                     _size(info['model_flops'], 1e9, 'G') +
                     '  parameters ' + _size(info['params'], 1e6, 'M'))
    else:
        reason = info['model_flops_error'] or '--encoder-only'
        lines.append('  model:   FLOPs not counted (' + reason[:200] +
                     ')  parameters ' + _size(info['params'], 1e6, 'M'))
    lines.append('  encoder: FLOPs ' + _size(info['flops'], 1e9, 'G') +
                 '  parameters ' + _size(info['encoder_params'], 1e6, 'M'))
    print('\n'.join(lines))


if __name__ == '__main__':
    sys.exit(run_tool(main))
