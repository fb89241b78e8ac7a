"""Finished runs next to the papers' tables
(``tools/analysis_tools/collect_results.py``).

From each work dir (the ``--work-dir`` of a ``tools/train.py`` or
``tools/test.py`` run) this reads:

* the run's config, as mmengine's runner dumps it
  (``WORK_DIR/<config name>.py``; LocalVisBackend also writes
  ``WORK_DIR/<timestamp>/vis_data/config.py``), parsed as plain literals
  and never executed (:mod:`mmcae.utils.config_text`): a work dir is
  data, and whoever can write into it must not run code here;
* its metrics: the last validation record of
  ``WORK_DIR/<timestamp>/vis_data/scalars.json`` or the single JSON dict
  that a test run's ``LoggerHook.after_test_epoch`` dumps to
  ``WORK_DIR/<timestamp>/<timestamp>.json``. The newest timestamp that has
  metrics wins. Values are put in the papers' unit
  (:func:`mmcae.utils.model_zoo.to_percent`).

The run is matched to a metafile entry by its config's file name; when
several entries share the config, by the file name of the encoder
checkpoint it loaded (``model.backbone.init_cfg.checkpoint`` vs the
entry's ``Metadata['Encoder Checkpoint']``). A run that matches no entry
or several is reported and skipped, never guessed. Each paper table is
printed in the paper's layout: one row per (Method, Arch, Epochs), one
column per ``Column`` label, each cell ``ours (paper, ours - paper)``.
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple

from mmcae.utils.errors import UserError
from mmcae.utils.model_zoo import (load_model_index, match_entry,
                                   paper_results, paper_tables, unique)
from .scalars import ScalarsError, last_val_record, metric_values
from .tables import render_table

#: what the messages on stderr start with
PROG = 'collect_results.py'


class RunError(Exception):
    """A work dir that is not a readable run (the message names it)."""


def read_test_json(path: str) -> Optional[dict]:
    """The metrics dict a test run's LoggerHook dumps (None if it has
    no metric, e.g. a JSON-lines file of another kind)."""
    try:
        with open(path) as f:
            record = json.load(f)
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict) or not metric_values(record):
        return None
    return record


def _timestamp_dirs(work_dir: str) -> List[str]:
    """Subdirectories of the work dir, oldest first (mmengine names them
    ``%Y%m%d_%H%M%S``, which sorts in time order)."""
    return sorted(name for name in os.listdir(work_dir)
                  if osp.isdir(osp.join(work_dir, name)))


def find_metrics(work_dir: str) -> dict:
    """The newest metrics of a work dir.

    Args:
        work_dir (str): a ``--work-dir`` of tools/train.py or test.py.

    Returns:
        dict: ``timestamp``, ``source`` (the file read), ``kind`` ('val'
        or 'test'), ``step`` (None for test) and ``metrics`` (key ->
        percent, in logged order).

    Raises:
        RunError: no timestamp dir holds validation or test metrics.
    """
    stamps = _timestamp_dirs(work_dir)
    for stamp in reversed(stamps):
        found = []
        scalars = osp.join(work_dir, stamp, 'vis_data', 'scalars.json')
        if osp.isfile(scalars):
            try:
                record = last_val_record(scalars)
            except ScalarsError as err:  # names the file and the line
                raise RunError(str(err)) from err
            if record is not None:
                found.append((osp.getmtime(scalars), 'val', scalars, record))
        test_json = osp.join(work_dir, stamp, f'{stamp}.json')
        if osp.isfile(test_json):
            record = read_test_json(test_json)
            if record is not None:
                found.append(
                    (osp.getmtime(test_json), 'test', test_json, record))
        if found:
            _, kind, source, record = max(found, key=lambda item: item[0])
            return dict(
                timestamp=stamp,
                kind=kind,
                source=source,
                step=record.get('step') if kind == 'val' else None,
                metrics=metric_values(record))
    if not any(
            osp.isfile(osp.join(work_dir, s, 'vis_data', 'scalars.json'))
            or osp.isfile(osp.join(work_dir, s, f'{s}.json'))
            for s in stamps):
        raise RunError(
            'not an mmengine run directory: no <timestamp>/vis_data/'
            'scalars.json and no <timestamp>/<timestamp>.json in it')
    raise RunError('no validation or test metrics logged yet (only train '
                   'records in <timestamp>/vis_data/scalars.json)')


def find_config(work_dir: str, timestamp: Optional[str]) -> Tuple[str, str]:
    """The run's config: its name and a dumped copy to load.

    The runner dumps the config as ``WORK_DIR/<config name>.py``; when a
    work dir holds several, the one identical to the run's
    ``<timestamp>/vis_data/config.py`` is the run's.

    Returns:
        tuple[str, str]: the config file name and the file to load (the
        timestamp's ``vis_data/config.py`` when there is one: exactly the
        config of the run that logged the metrics).

    Raises:
        RunError: no dumped config, or several and none identical.
    """
    dumped = sorted(glob.glob(osp.join(work_dir, '*.py')))
    vis_config = (osp.join(work_dir, timestamp, 'vis_data', 'config.py')
                  if timestamp else '')
    if not osp.isfile(vis_config):
        vis_config = ''
    if not dumped:
        raise RunError('no dumped config (WORK_DIR/<config name>.py, '
                       'written by the runner) in it')
    chosen = dumped[0]
    if len(dumped) > 1:
        same = []
        if vis_config:
            with open(vis_config) as f:
                text = f.read()
            for path in dumped:
                with open(path) as f:
                    if f.read() == text:
                        same.append(path)
        if len(same) != 1:
            raise RunError(
                'several dumped configs ('
                + ', '.join(osp.basename(p) for p in dumped)
                + ') and none is identical to the run\'s '
                + (vis_config or '<timestamp>/vis_data/config.py (missing)')
                + '; give each run its own work dir')
        chosen = same[0]
    return osp.basename(chosen), vis_config or chosen


def encoder_checkpoint(config_path: str) -> Optional[str]:
    """``model.backbone.init_cfg.checkpoint`` of a dumped config (None when
    the backbone loads nothing).

    The config is parsed, never executed (a work dir is data: whoever can
    write into it must not be able to run code in this script), with
    :func:`mmcae.utils.config_text.read_config_literals`.

    Raises:
        RunError: the file cannot be read or is not plain literals (the
            message names the file and the line).
    """
    from mmcae.utils.config_text import ConfigTextError, read_config_literals
    try:
        cfg = read_config_literals(config_path)
    except ConfigTextError as err:  # it names the file and the line
        raise RunError(str(err)) from err
    node = cfg.get('model')
    for key in ('backbone', 'init_cfg', 'checkpoint'):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node if isinstance(node, str) else None


def read_run(work_dir: str) -> dict:
    """Everything the script needs from one work dir.

    Returns:
        dict: ``work_dir``, ``config`` (file name), ``config_file`` (the
        dumped copy read), ``checkpoint`` (the encoder it loaded) and the
        keys of :func:`find_metrics`.

    Raises:
        RunError: see :func:`find_metrics` and :func:`find_config`.
    """
    if not osp.isdir(work_dir):
        raise RunError('no such directory')
    run = dict(work_dir=work_dir)
    metrics = find_metrics(work_dir)
    config, config_file = find_config(work_dir, metrics['timestamp'])
    run.update(
        config=config,
        config_file=config_file,
        checkpoint=encoder_checkpoint(config_file))
    run.update(metrics)
    return run


def format_value(value: Optional[float], digits: Optional[int] = None
                 ) -> str:
    """A number for a cell: ``digits`` decimals, or as the paper writes it
    (47.7, not 47.70; 48.0, not 48); '-' for a missing one."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '-'
    if digits is not None:
        return f'{value:.{digits}f}'
    if isinstance(value, float):
        text = f'{value:g}'
        return text if '.' in text or 'e' in text else f'{value:.1f}'
    return str(value)


def cell_text(ours: Optional[float], paper: Optional[float]) -> str:
    """``ours (paper, +diff)``, or ``- (paper)`` without a run."""
    if ours is None:
        return f'- ({format_value(paper)})'
    if paper is None:
        return f'{format_value(ours, 2)} (-)'
    return (f'{format_value(ours, 2)} ({format_value(paper)}, '
            f'{ours - paper:+.2f})')


def build_table(models: Dict[str, dict], table: str,
                runs_by_model: Dict[str, dict]) -> dict:
    """One paper table with the runs' numbers in it.

    Args:
        models (dict): the model index.
        table (str): a paper table id.
        runs_by_model (dict): entry name -> the run matched to it.

    Returns:
        dict: ``table``, ``columns`` (Column labels) and ``rows``: each with
        ``method``, ``arch``, ``epochs`` and ``cells`` (column -> dict of
        ``model``, ``metric``, ``paper``, ``ours``, ``diff``,
        ``work_dir``).
    """
    results = paper_results(models, table)
    columns = unique(r['column'] for r in results)
    rows: 'OrderedDict[tuple, dict]' = OrderedDict()
    for result in results:
        key = (result['method'], result['arch'], result['epochs'])
        row = rows.setdefault(
            key,
            dict(method=key[0], arch=key[1], epochs=key[2], cells={}))
        if result['column'] in row['cells']:
            continue  # the first entry of a cell wins (index order)
        run = runs_by_model.get(result['model'])
        ours = None
        if run is not None:
            ours = run['metrics'].get(result['metric'])
        paper = result['value']
        paper = None if paper is None else float(paper)
        row['cells'][result['column']] = dict(
            model=result['model'],
            metric=result['metric'],
            paper=paper,
            ours=ours,
            diff=(round(ours - paper, 6)
                  if ours is not None and paper is not None else None),
            work_dir=run['work_dir'] if run is not None else None)
    return dict(table=table, columns=columns, rows=list(rows.values()))


def render_paper_table(table: dict, fmt: str = 'text') -> str:
    """A :func:`build_table` result in the paper's layout."""
    header = ['Method', 'Arch', 'Epochs'] + list(table['columns'])
    body = []
    for row in table['rows']:
        cells = [
            cell_text(row['cells'][c]['ours'], row['cells'][c]['paper'])
            if c in row['cells'] else '' for c in table['columns']
        ]
        body.append([
            str(row['method'] or '-'),
            str(row['arch'] or '-'),
            format_value(row['epochs'])
        ] + cells)
    return render_table(header, body, fmt)


def _encoder_of(entry: dict) -> Optional[str]:
    """The ``Metadata['Encoder Checkpoint']`` of a metafile entry."""
    return (entry.get('Metadata') or {}).get('Encoder Checkpoint')


def _pick(run: dict, previous: Optional[dict], prog: str) -> dict:
    """Of two runs of the same entry, the newer (by timestamp)."""
    if previous is None:
        return run
    newer, older = sorted([previous, run], key=lambda r: r['timestamp'],
                          reverse=True)
    print(f'{prog}: note: {older["work_dir"]} and {newer["work_dir"]} both '
          f'reproduce {run["model"]}; using the newer, {newer["work_dir"]}',
          file=sys.stderr)
    return newer


def match_runs(work_dirs: Sequence[str], models: Dict[str, dict],
               prog: str = PROG) -> Tuple[list, list, Dict[str, dict]]:
    """Read each work dir and match it to a metafile entry; print on
    stderr why a work dir is skipped and what looks off.

    Returns:
        tuple: the read runs (each with ``model``, ``candidates`` and an
        empty ``paper`` list), the skipped work dirs (``work_dir``,
        ``reason``, ``candidates`` when ambiguous) and entry name -> the
        newest run of it.
    """
    runs, skipped = [], []
    runs_by_model: Dict[str, dict] = {}
    for work_dir in work_dirs:
        try:
            run = read_run(work_dir)
        except RunError as err:
            print(f'{prog}: error: {work_dir}: {err}', file=sys.stderr)
            skipped.append(dict(work_dir=work_dir, reason=str(err)))
            continue
        model, candidates = match_entry(models, run['config'],
                                        run['checkpoint'])
        run.update(model=model, candidates=candidates, paper=[])
        if model is None and candidates:
            listed = ', '.join(
                f'{name} (Encoder Checkpoint: {_encoder_of(models[name])})'
                for name in candidates)
            reason = (f'config {run["config"]} is shared by several '
                      f'metafile entries and its encoder checkpoint '
                      f'{run["checkpoint"]!r} tells none apart: {listed}; '
                      'skipped')
            print(f'{prog}: error: {work_dir}: {reason}', file=sys.stderr)
            skipped.append(dict(work_dir=work_dir, reason=reason,
                                candidates=candidates))
            continue
        expected = osp.basename(str(
            _encoder_of(models[model]) or '')) if model is not None else ''
        if expected and expected != osp.basename(run['checkpoint'] or ''):
            run['note'] = (f'its encoder checkpoint {run["checkpoint"]!r} '
                           f'is not {model}\'s ({expected})')
            print(f'{prog}: note: {work_dir}: {run["note"]}',
                  file=sys.stderr)
        runs.append(run)
        if model is not None:
            runs_by_model[model] = _pick(run, runs_by_model.get(model), prog)
    return runs, skipped, runs_by_model


def report_text(tables: List[dict], runs: List[dict],
                skipped: List[dict], runs_by_model: Dict[str, dict],
                models: Dict[str, dict], fmt: str = 'text') -> str:
    """The printed report: the paper tables, the runs in none of them
    (with their metrics and why), the skipped work dirs."""
    wanted = [built['table'] for built in tables]
    out = []
    for built in tables:
        title = f'Paper table {built["table"]}: ours (paper, ours - paper)'
        out.append(f'### {title}' if fmt == 'markdown' else title)
        out.append('')
        out.append(render_paper_table(built, fmt))
        out.append('')
    leftovers = [run for run in runs if not run['paper']]
    if leftovers:
        out.append('Runs in no printed paper table:')
        for run in leftovers:
            if run['model'] is None:
                why = f'no metafile entry has config {run["config"]}'
            elif runs_by_model.get(run['model']) is not run:
                why = f'{run["model"]}, superseded by a newer run'
            else:
                logged = [
                    r['metric'] for r in paper_results(
                        {run['model']: models[run['model']]})
                    if r['table'] in wanted
                ]
                why = run['model'] + (
                    f', which logged none of {", ".join(unique(logged))}'
                    if logged else '')
            metrics = ', '.join(f'{k}={format_value(v, 2)}'
                                for k, v in run['metrics'].items())
            bullet = '-' if fmt == 'markdown' else ' '
            out.append(f'{bullet} {run["work_dir"]} ({why}): {metrics}')
        out.append('')
    if skipped:
        out.append(f'Skipped {len(skipped)} work dir(s), reasons on stderr: '
                   + ', '.join(s['work_dir'] for s in skipped))
        out.append('')
    if not runs and not tables:
        out.append('No run could be read.')
    return '\n'.join(out).rstrip()


def collect_results(work_dirs: Sequence[str],
                    metafile_root: Optional[str] = None,
                    table: Optional[str] = None,
                    fmt: str = 'text',
                    json_out: Optional[str] = None,
                    prog: str = PROG) -> dict:
    """Read the runs, match them to the metafiles, print the paper tables
    they touch (and the runs in none), write ``json_out``.

    Args:
        work_dirs (list[str]): ``--work-dir`` of tools/train.py or test.py
            runs; unreadable ones are reported on stderr and skipped.
        metafile_root (str, optional): the directory of model-index.yml.
            Defaults to the checkout.
        table (str, optional): print this paper table only.
        fmt (str): 'text' (aligned) or 'markdown'.
        json_out (str, optional): also write the report there.
        prog (str): what the stderr lines start with.

    Returns:
        dict: ``tables``, ``runs`` and ``skipped`` (what ``json_out``
        holds).

    Raises:
        UserError: ``table`` is not a paper table of the metafiles, or
            the model index cannot be read.
    """
    models = load_model_index(metafile_root)
    known_tables = paper_tables(models)
    if table is not None and table not in known_tables:
        raise UserError(f'unknown paper table {table!r}; the '
                        'metafiles have: ' + ', '.join(known_tables))

    runs, skipped, runs_by_model = match_runs(work_dirs, models, prog)
    touched = unique(
        row['table'] for name, run in runs_by_model.items()
        for row in paper_results({name: models[name]}) if row['table'])
    if table is not None:
        wanted = [table]
    else:
        wanted = [t for t in known_tables if t in touched]
    tables = [build_table(models, t, runs_by_model) for t in wanted]

    # what each run contributed, for --json and the leftover list
    for built in tables:
        for row in built['rows']:
            for column, cell in row['cells'].items():
                run = runs_by_model.get(cell['model'])
                if run is not None and cell['ours'] is not None:
                    run['paper'].append(
                        dict(table=built['table'], method=row['method'],
                             arch=row['arch'], epochs=row['epochs'],
                             column=column, metric=cell['metric'],
                             paper=cell['paper'], ours=cell['ours'],
                             diff=cell['diff']))
    print(report_text(tables, runs, skipped, runs_by_model, models, fmt))

    report = dict(tables=tables, runs=runs, skipped=skipped)
    if json_out:
        os.makedirs(osp.dirname(osp.abspath(json_out)), exist_ok=True)
        with open(json_out, 'w') as f:
            json.dump(report, f, indent=2)
    return report


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``tools/analysis_tools/collect_results.py``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Compare finished runs with the paper tables of the '
        'metafiles: ours (paper, ours - paper) per cell.')
    parser.add_argument(
        'work_dirs', nargs='+', metavar='WORK_DIR',
        help='work dirs of tools/train.py or tools/test.py runs')
    parser.add_argument(
        '--table', help='print this paper table only, e.g. cae-arxiv-3')
    parser.add_argument(
        '--metafile-root',
        help='the directory of model-index.yml (default: the repository)')
    parser.add_argument(
        '--format', choices=['text', 'markdown'], default='text',
        help='plain aligned text (default) or markdown tables')
    parser.add_argument(
        '--json', metavar='OUT', help='also write the numbers to this file')
    return parser


def collect(argv: Optional[List[str]] = None) -> dict:
    """:func:`collect_results` with the tool's command-line arguments."""
    args = build_parser().parse_args(argv)
    return collect_results(
        args.work_dirs, metafile_root=args.metafile_root, table=args.table,
        fmt=args.format, json_out=args.json)


def main(argv: Optional[List[str]] = None) -> int:
    """The tool: :func:`collect`; a user error is one line on stderr.

    Returns:
        int: the exit status, 0 (2 for a user error).
    """
    from mmcae.utils.cli import run_tool
    return run_tool(collect, argv)

