#!/usr/bin/env python
"""Time pretraining steps of two or more models at equal size and batch.

Each model ("row") is timed in its own process, so its peak memory is its
own:

    # mmcae.CAE against mmpretrain's CAE (img/s, peak memory, ratio)
    python tools/benchmark/step_time.py cae-vs-mmpretrain --arch small \\
        --batch 8
    # ccMIM (default, random division, the importance pass alone) against
    # mmpretrain's MAE (markdown table)
    python tools/benchmark/step_time.py ccmim-vs-mae --arch base --batch 8
    python tools/benchmark/step_time.py ccmim-vs-mae --arch base \\
        --batch 64 --device cuda --bf16 --out ccmim_vs_mae_h100.json

``COMMAND --help`` describes each comparison
(mmcae/benchmark/step_time_{cae,ccmim}.py).
"""
import sys

from mmcae.benchmark import cli, step_time_cae, step_time_ccmim

COMMANDS = {
    'cae-vs-mmpretrain': step_time_cae,
    'ccmim-vs-mae': step_time_ccmim,
}

if __name__ == '__main__':
    sys.exit(cli.main('step_time.py', __doc__, COMMANDS))
