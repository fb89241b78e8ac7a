#!/usr/bin/env python
"""Check the files a train / test run needs, as the tool itself would,
before anything is built:

    python tools/misc/preflight.py tools/train.py CONFIG [train.py args]
    python tools/misc/preflight.py tools/test.py CONFIG CHECKPOINT [args]

Exit status 0 when nothing is missing, 2 with one message listing every
missing data root, annotation file and pretrained checkpoint.
tools/dist_launch.sh runs it once before torchrun, so that a failed check
is the last thing printed (not N copies and torchrun's summary).
"""
import sys

from mmcae.utils.preflight import run_launcher_check

if __name__ == '__main__':
    sys.exit(run_launcher_check())
