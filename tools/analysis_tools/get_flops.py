#!/usr/bin/env python
"""Parameters and FLOPs of a config's model (any framework).

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W]
        [--cfg-options key=value ...]

Prints the parameters of the whole model and the FLOPs of its encoder on
one image (224 x 224 for classification and pretraining, the crop for
segmentation, 1024 x 1024 for detection, or ``--shape``), counted by
mmengine's ``get_model_complexity_info``; see mmcae/analysis/complexity.py.
"""
import argparse
import sys

from mmengine.config import DictAction

from mmcae.analysis.complexity import model_complexity
from mmcae.utils.cli import run_tool
from mmcae.utils.config import load_config


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'))
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    info = model_complexity(cfg, args.shape)
    height, width = info['input_shape']
    print(f'{args.config}\n'
          f'  parameters (model):   {info["params"]:,} '
          f'({info["params"] / 1e6:.2f} M)\n'
          f'  parameters (encoder): {info["encoder_params"]:,}\n'
          f'  FLOPs (encoder, 1 x 3 x {height} x {width}): '
          f'{info["flops"]:,} ({info["flops"] / 1e9:.2f} G)')


if __name__ == '__main__':
    sys.exit(run_tool(main))
