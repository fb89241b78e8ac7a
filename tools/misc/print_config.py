#!/usr/bin/env python
"""Print a config with its bases and --cfg-options resolved; writes nothing.

    python tools/misc/print_config.py CONFIG [--cfg-options k=v ...]
"""
import sys

from mmcae.utils.cli import run_tool
from mmcae.utils.openmmlab_tools import print_config_main

if __name__ == '__main__':
    sys.exit(run_tool(print_config_main))
