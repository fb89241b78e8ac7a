#!/usr/bin/env python
"""Train with an mmcae, mmpretrain, mmseg or mmdet config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [PATH]] [--amp]
        [--auto-scale-lr] [--no-validate] [--cfg-options k=v ...]
        [--launcher {none,pytorch,slurm,mpi}] [--trust-checkpoint]

The config's ``default_scope`` decides the framework. Multi-GPU (or
multi-process CPU): ``tools/dist_train.sh CONFIG N [args]``.
"""
import sys

from mmcae.utils.cli import run_tool, run_train

if __name__ == '__main__':
    sys.exit(run_tool(run_train))
