#!/usr/bin/env python
"""Record the small-scale protocol's measured numbers in the docs.

    python .dev_scripts/update_small_scale_results.py
        --work-dir work_dirs/benchmarks/cifar10 [--machine TEXT]
        [--root ROOT] [--no-model-zoo]

From WORK_DIR/results/*.json (written by tools/benchmark/small_scale.py):

1. rewrites ``configs/benchmarks/metafile.yml``: the ``Weights`` of the
   pretraining entries (the published encoders: name, sha256, bytes and the
   commands that make them; the files are not committed) and the
   (downstream config, encoder) entries with their ``Ours`` numbers (mean
   over seeds, std, per-seed values, logs); the rest of the file is kept;
2. fills the table of ``configs/benchmarks/README.md`` between
   ``<!-- small-scale-table:start -->`` and ``<!-- small-scale-table:end
   -->`` (created with a title and the markers when it does not exist),
   with a line saying where and when it was measured (``--machine``, or
   the ``machine`` / ``jobs`` / ``threads`` keys of WORK_DIR/results.json);
3. regenerates ``model_zoo.md`` and the READMEs' metafile tables
   (``.dev_scripts/gen_model_zoo.py``), unless ``--no-model-zoo``.

Partial results are fine (steps still running are left out); rerun it
when the protocol has finished. :mod:`mmcae.runs.small_scale_docs` has the
conventions.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmcae.runs.small_scale_docs import update_small_scale_docs
from mmcae.utils.errors import UserError
from mmcae.utils.model_zoo import REPO_ROOT

PROG = 'update_small_scale_results.py'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', required=True,
                        help="the protocol's work dir (has results/)")
    parser.add_argument('--machine',
                        help='where it ran, for the README (e.g. "2-core '
                        'Xeon, CPU only")')
    parser.add_argument('--root', default=REPO_ROOT,
                        help='the repository (default: this one)')
    parser.add_argument('--no-model-zoo', action='store_true',
                        help='do not regenerate model_zoo.md')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Returns the exit status; a user error is one line and status 2."""
    args = parse_args(argv)
    try:
        written = update_small_scale_docs(
            osp.abspath(args.work_dir), osp.abspath(args.root),
            machine=args.machine, regenerate_zoo=not args.no_model_zoo)
    except UserError as err:
        print(f'{PROG}: error: {err}', file=sys.stderr, flush=True)
        return 2
    print(f'{PROG}: ' + (f'wrote {", ".join(written)}' if written else
                         'metafile and README up to date'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
