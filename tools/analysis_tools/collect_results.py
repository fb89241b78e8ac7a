#!/usr/bin/env python
"""Compare finished runs with the papers' tables.

    python tools/analysis_tools/collect_results.py WORK_DIR [WORK_DIR ...]
        [--table cae-arxiv-3] [--metafile-root ROOT]
        [--format {text,markdown}] [--json OUT]

Each ``WORK_DIR`` is the ``--work-dir`` of a ``tools/train.py`` or
``tools/test.py`` run. The script reads the run's dumped config (parsed,
never executed) and its newest validation or test metrics, matches the run
to a metafile entry (by config file name, then by the encoder checkpoint
it loaded; never guessed), and prints every paper table the runs touch (or
``--table`` only) in the paper's layout: one row per (Method, Arch,
Epochs), one column per ``Column`` label, each cell ``ours (paper, ours -
paper)``, e.g. ``47.95 (47.7, +0.25)``, or ``- (47.7)`` where no run was
given. Runs that land in no printed table follow with their metrics.
``--json`` writes all of it. See :mod:`mmcae.runs.results` for the
details.

Exit status: 0 (2 for a bad argument, a missing metafile or an unknown
``--table``); work dirs that cannot be read are reported on stderr and
skipped.
"""
import sys

from mmcae.runs.results import main

if __name__ == '__main__':
    sys.exit(main())
