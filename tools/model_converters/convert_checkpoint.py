#!/usr/bin/env python
"""Convert a published ViT checkpoint to mmcae.ViT keys.

    python tools/model_converters/convert_checkpoint.py IN OUT \\
        [--format auto|timm|beit|cae|mocov3|dino|deit_distilled|mmpretrain_vit|
                  mmpretrain_beit|mmpretrain_cae|mmcae]
        [--img-size 512 [512]] [--patch-size 16] [--dino-key teacher]

OUT holds ``{'state_dict': ..., 'meta': ...}`` with the backbone's own keys,
so a backbone config loads it with
``init_cfg=dict(type='Pretrained', checkpoint=OUT)``. ``--img-size`` resizes
the position tables now (the ViT also resizes them when it loads).
"""
import argparse
import os.path as osp
import sys

import torch

from mmcae.checkpoint import (FORMATS, CheckpointFormatError,
                              convert_vit_checkpoint)
from mmcae.utils.checkpoint_compat import TRUST_ENV_VAR, load_local_checkpoint
from mmcae.utils.cli import run_tool
from mmcae.utils.errors import UserError


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='checkpoint to convert')
    parser.add_argument('dst', help='where to write the mmcae checkpoint')
    parser.add_argument(
        '--format', default='auto', choices=('auto', ) + FORMATS)
    parser.add_argument(
        '--img-size', type=int, nargs='+', help='resize position tables to '
        'this input size (one value, or height width)')
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument(
        '--dino-key', default='teacher', choices=('teacher', 'student'))
    parser.add_argument(
        '--trust', action='store_true', help='the source needs full '
        'unpickling (pickled objects) and you trust it; same as '
        f'{TRUST_ENV_VAR}=1')
    args = parser.parse_args(argv)
    try:
        # None, not False: without --trust the environment variable decides
        checkpoint = load_local_checkpoint(
            args.src, map_location='cpu', trust=args.trust or None)
    except FileNotFoundError as err:
        raise UserError(str(err)) from err
    # a damaged file or one that needs trust raises a UserError that names
    # the file and this tool's --trust (see checkpoint_compat.TRUST_FLAGS)
    dst_grid = None
    if args.img_size:
        height, width = (args.img_size * 2)[:2]
        dst_grid = (height // args.patch_size, width // args.patch_size)
    try:
        state_dict, fmt = convert_vit_checkpoint(
            checkpoint, args.format, dst_grid, args.dino_key)
    except CheckpointFormatError as err:
        raise UserError(f"'{args.src}': {err}") from err
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(
                source=osp.abspath(args.src),
                source_format=fmt,
                converter='mmcae tools/model_converters/'
                'convert_checkpoint.py')), args.dst)
    print(f'{args.src}: {fmt} -> {args.dst} ({len(state_dict)} tensors)')


if __name__ == '__main__':
    sys.exit(run_tool(main))
