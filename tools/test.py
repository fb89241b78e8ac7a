#!/usr/bin/env python
"""Evaluate a checkpoint with an mmcae, mmpretrain, mmseg or mmdet config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.pkl]
        [--cfg-options k=v ...] [--launcher ...] [--trust-checkpoint]

Multi-GPU: ``tools/dist_test.sh CONFIG CHECKPOINT N [args]``.
"""
import sys

from mmcae.utils.cli import run_test, run_tool

if __name__ == '__main__':
    sys.exit(run_tool(run_test))
