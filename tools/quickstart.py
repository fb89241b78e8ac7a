#!/usr/bin/env python
"""The mmcae quickstart: the whole story on the demo data, on any machine.

    bash tools/quickstart.sh [--tiny] [--work-dir work_dirs/quickstart]
        [--data-root data/demo] [--jobs N] [--seed 0]

1. makes the 'medium' demo data under ``--data-root`` if it is not there
   (ImageNet, ADE20K and COCO layouts; nothing is downloaded);
2. pretrains a small CAE on the demo ImageNet set
   (``configs/quickstart/cae_*.py``);
3. publishes its encoder (``tools/model_converters/publish_model.py
   --backbone-only``: ``mmcae.ViT`` keys, ``{name}-{sha256[:8]}.pth``);
4. from that encoder AND from a random one (same seed, same data order):
   linear probe, attentive probe, UperNet and Mask R-CNN fine-tuning
   (``configs/quickstart/*.py``: the demo configs of ``configs/cae/`` with
   a CPU-sized schedule);
5. prints one table -- pretraining loss first -> last, LIN / ATT top-1,
   mIoU, box AP, mask AP, pretrained vs random -- and the total time, and
   writes it to ``WORK_DIR/results.{json,md}``.

Every step is the user's own command (``tools/train.py CONFIG --work-dir
...``) in its own process with its log in ``WORK_DIR/logs/``; the steps
run side by side on ``--jobs`` processes (default: one per core, at most
4), each with ``cores // jobs`` OpenMP threads (on a shared CPU, more
threads than free cores make every op's barrier spin). A step starts as
soon as what it needs exists, longest remaining chain first (estimated
from each step's iterations and the durations measured by the previous
run in the work dir, ``WORK_DIR/step_seconds.json``: see
``mmcae/runs/quickstart_costs.py``); the random encoder's runs overlap the
pretraining. Steps run on the GPU when torch sees one. ``--tiny`` (the
test's mode) runs the same steps on the 'small' demo set for a few
iterations each: it checks the pipeline, its numbers mean nothing.

Exit status: 0 when every step finished, 1 otherwise (the table then
names the failed steps and their logs).
"""
import argparse
import sys
from typing import List, Optional

from mmcae.runs.quickstart import QuickstartSettings, run_quickstart


def parse_args(argv: Optional[List[str]] = None) -> QuickstartSettings:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument(
        '--data-root', default='data/demo',
        help='the demo data (made there if absent); default data/demo')
    parser.add_argument(
        '--tiny', action='store_true',
        help='a few iterations of each step on the small demo set (tests)')
    parser.add_argument(
        '--jobs', type=int, default=None,
        help='processes at a time (default: one per core, at most 4)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    settings = QuickstartSettings.resolve(
        work_dir=args.work_dir, data_root=args.data_root, tiny=args.tiny,
        jobs=args.jobs, seed=args.seed)
    if settings.jobs < 1:
        parser.error('--jobs must be >= 1')
    return settings


def main(argv: Optional[List[str]] = None) -> int:
    return run_quickstart(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
