#!/usr/bin/env python
"""Rewrite a checkpoint so that torch's safe loader (weights_only) reads it.

Checkpoints written by plain mmengine on torch >= 2.6 hold objects (message
hub history buffers) that the safe loader refuses. Load such a file ONCE,
explicitly trusting it, and save it again in the safe form that mmcae runs
write (see mmcae/checkpoint/safe_globals.py):

    python tools/misc/resave_checkpoint.py --trust IN.pth OUT.pth
"""
import sys

from mmcae.checkpoint.cli import resave_main
from mmcae.utils.cli import run_tool

if __name__ == '__main__':
    sys.exit(run_tool(resave_main))
