#!/usr/bin/env python
r"""Plot curves of, or time, mmengine training logs (matplotlib only).

    python tools/analysis_tools/analyze_logs.py plot_curve \
        WORK_DIR/TIMESTAMP/vis_data/scalars.json --keys loss --out curve.png
    python tools/analysis_tools/analyze_logs.py cal_train_time SCALARS.json
"""
import sys

from mmcae.utils.cli import run_tool
from mmcae.utils.openmmlab_tools import analyze_logs_main

if __name__ == '__main__':
    sys.exit(run_tool(analyze_logs_main))
