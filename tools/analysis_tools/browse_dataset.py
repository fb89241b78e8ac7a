#!/usr/bin/env python
"""Draw a config's dataset items after the pipeline, with ground truth.

    python tools/analysis_tools/browse_dataset.py CONFIG --output-dir DIR
        [--phase train|val|test] [--not-show] [--max N] [--cfg-options ...]

Works for mmpretrain, mmseg and mmdet configs; see
mmcae/utils/openmmlab_tools.py for why this is not the frameworks' script.
"""
import sys

from mmcae.utils.cli import run_tool
from mmcae.utils.openmmlab_tools import browse_dataset_main

if __name__ == '__main__':
    sys.exit(run_tool(browse_dataset_main))
