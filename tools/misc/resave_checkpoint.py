#!/usr/bin/env python
"""Rewrite a checkpoint so that torch's safe loader (weights_only) reads it.

Checkpoints written by plain mmengine on torch >= 2.6 hold objects (message
hub history buffers) that the safe loader refuses. Load such a file ONCE,
explicitly trusting it, and save it again in the safe form that mmcae runs
write (see mmcae/utils/checkpoint_compat.py):

    python tools/misc/resave_checkpoint.py --trust IN.pth OUT.pth
"""
import argparse
import sys

import torch

from mmcae.utils.checkpoint_compat import TRUST_ENV_VAR, load_local_checkpoint
from mmcae.utils.cli import run_tool
from mmcae.utils.errors import UserError


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='checkpoint to read')
    parser.add_argument('dst', help='checkpoint to write')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='you trust SRC: load it with full unpickling if needed (same '
        f'as {TRUST_ENV_VAR}=1)')
    args = parser.parse_args(argv)
    if args.src == args.dst:
        raise UserError('SRC and DST must differ (the source is kept)')
    try:
        # None, not False: without --trust the environment variable decides
        checkpoint = load_local_checkpoint(
            args.src, map_location='cpu', trust=args.trust or None)
    except FileNotFoundError as err:
        raise UserError(str(err)) from err
    torch.save(checkpoint, args.dst)
    # prove the result loads safely before reporting success
    load_local_checkpoint(args.dst, map_location='cpu', trust=False)
    print(f'wrote {args.dst} (loads with weights_only=True)')


if __name__ == '__main__':
    sys.exit(run_tool(main))
