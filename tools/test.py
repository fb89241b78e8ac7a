#!/usr/bin/env python
"""Evaluate a checkpoint with an mmcae, mmpretrain, mmseg or mmdet config.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE.pkl]
        [--show] [--show-dir DIR] [--wait-time S]
        [--cfg-options k=v ...] [--launcher ...] [--trust-checkpoint]

``--show-dir DIR`` saves every test image drawn with its prediction (the
visualization hook of the config's framework, with interval 1; for mmseg
configs the files land in DIR/vis_data/vis_image); ``--show`` opens a
window per image for ``--wait-time`` seconds. ``--out`` pickles the
predictions (detection masks as COCO RLE, as mmdet's test tool does).
See mmcae/utils/test_tool.py.

Multi-GPU: ``tools/dist_test.sh CONFIG CHECKPOINT N [args]``.
"""
import sys

from mmcae.utils.cli import run_test, run_tool

if __name__ == '__main__':
    sys.exit(run_tool(run_test))
