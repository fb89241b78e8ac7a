#!/usr/bin/env python
"""Write ``model_zoo.md`` and the paper-number tables of the method READMEs
from the metafiles.

    python .dev_scripts/gen_model_zoo.py [--root ROOT]
        [--demo-results work_dirs/quickstart/results.json]
        [--out model_zoo.md] [--check]

The paper numbers live in ``configs/*/metafile.yml`` only: ``model_zoo.md``
and, in each collection's README (``configs/{cae,ccmim,unissl,benchmarks}/
README.md``), the table between ``<!-- metafile-table:start -->`` and
``<!-- metafile-table:end -->`` are generated from them (see
:mod:`mmcae.utils.model_zoo_docs` for their content).

The section "Demo data (CPU quickstart)" of ``model_zoo.md`` comes from
``--demo-results``, the ``results.json`` that ``bash tools/quickstart.sh``
writes. Without it, the section already in ``--out`` is kept, or a line says
how to produce it.

The headline / no-paper-number rows and the external checkpoints come from
``docs/model_zoo_extra.yml``; the external table is also written into
``docs/weights.md`` (between its ``external-weights`` markers).

``--check`` writes nothing and exits with status 1 when a file is not what
the script would write (stale), 0 when all are up to date.
"""
import argparse
import sys
from typing import List, Optional

from mmcae.utils.errors import UserError
from mmcae.utils.model_zoo_docs import PROG, update_model_zoo


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split('\n')[0])
    parser.add_argument(
        '--root', help='the directory of model-index.yml (default: the '
        'repository)')
    parser.add_argument(
        '--demo-results', metavar='PATH',
        help="the quickstart's results.json (bash tools/quickstart.sh)")
    parser.add_argument(
        '--out', help='the model zoo file (default: ROOT/model_zoo.md)')
    parser.add_argument(
        '--check', action='store_true',
        help='write nothing; exit 1 if a file is not up to date')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Returns the exit status; a user error is one line and status 2."""
    args = parse_args(argv)
    try:
        return update_model_zoo(args.root, args.out, args.demo_results,
                                args.check)
    except UserError as err:
        print(f'{PROG}: error: {err}', file=sys.stderr, flush=True)
        return 2


if __name__ == '__main__':
    sys.exit(main())
