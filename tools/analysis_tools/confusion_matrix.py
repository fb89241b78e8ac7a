#!/usr/bin/env python
r"""Confusion matrix of a classification config's test results.

    python tools/test.py CONFIG CHECKPOINT --out results.pkl
    python tools/analysis_tools/confusion_matrix.py CONFIG results.pkl \
        [--out matrix.png]

mmpretrain's ConfusionMatrix does the counting.
"""
import sys

from mmcae.utils.cli import run_tool
from mmcae.utils.openmmlab_tools import confusion_matrix_main

if __name__ == '__main__':
    sys.exit(run_tool(confusion_matrix_main))
