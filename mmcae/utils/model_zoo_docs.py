"""The markdown generated from the model index: ``model_zoo.md`` and the
paper-number table of each method's README (between
``<!-- metafile-table:start -->`` and ``<!-- metafile-table:end -->``), so
that the paper numbers live in the metafiles only.

``.dev_scripts/gen_model_zoo.py`` writes them (or, with ``--check``, fails
when one is stale). For ``model_zoo.md``: per collection (method) of
``model-index.yml``, its pretraining configs (arch, epochs, parameters,
FLOPs, weights or 'not published yet') and, per task, one row per paper
number: the config (a relative link), the paper table and row it
reproduces, the encoder it loads (pretraining entry / checkpoint), the
metric, the paper's value and ours (the entry's optional ``Ours`` results,
with links to its ``Weights``; ``mean ± std (n seeds)`` where ``Ours`` has
a ``Std``). An entry with ``Ours`` only (``Results: null``: a protocol no
paper ran, e.g. configs/benchmarks) gives one row per ``Ours`` number,
with '-' as paper table / row and paper value; its README's table gets an
"Ours" column (and loses the paper columns when none of its entries has a
paper number). A ``Weights`` mapping (a local file, not uploaded) is
shown as its name, size and sha256 prefix. The section "Demo data (CPU
quickstart)" comes from the ``results.json`` that ``bash
tools/quickstart.sh`` writes, or is kept from the existing file.

Rows that are not paper numbers of the metafiles come from
``docs/model_zoo_extra.yml`` (:func:`load_extra`): the headline configs and
the configs whose paper row has no number in the text, each with a
labelled expected number (official repository, or derived from the text),
and external checkpoints (official CAE, mmpretrain, MAE, ...), shown
beside ours in the pretraining tables, in a section of their own, and as
the table between ``<!-- external-weights:start -->`` and
``<!-- external-weights:end -->`` of ``docs/weights.md``. A metafile would
be the wrong home: its ``Results`` are the papers' numbers, and mim's
schema has no place for checkpoints trained elsewhere. The task tables
show each paper cell's ``Derived`` and ``Note`` (e.g. the lrs the paper
searched) in a "Paper note" column.

mim's own ``mim`` command lists a model index but renders no tables, and
mmpretrain's ``.dev_scripts/generate_readme.py`` knows neither the
``Paper`` cells nor the ``Ours`` results of :mod:`mmcae.utils.model_zoo`,
hence this module.
"""
import ast
import json
import math
import os.path as osp
import re
import sys
from typing import Dict, List, Optional

from .errors import UserError
from .model_zoo import (REPO_ROOT, TASKS, _read_yaml, load_model_index,
                        unique)

PROG = 'gen_model_zoo.py'
COMMAND = 'python .dev_scripts/gen_model_zoo.py'
DEMO_START = '<!-- demo-results:start -->'
DEMO_END = '<!-- demo-results:end -->'
PRETRAIN_TASK = 'Self-Supervised Pretraining'
#: ViT size names in config names -> the papers' notation
_ARCH_NAMES = {
    'tiny': 'ViT-T', 'small': 'ViT-S', 'base': 'ViT-B', 'large': 'ViT-L',
    'huge': 'ViT-H'
}


def escape(text: str) -> str:
    """Text for a markdown table cell."""
    return str(text).replace('|', '\\|').replace('\n', ' ')


def format_number(value) -> str:
    """A metafile number as the paper writes it (47.7, 48.0, 300); '-'
    when absent."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '-'
    if isinstance(value, float):
        text = f'{value:g}'
        return text if '.' in text or 'e' in text else f'{value:.1f}'
    return str(value)


def format_count(value, unit: str) -> str:
    """Parameters / FLOPs: raw counts (86566888) as 86.57M, 17.58G (under
    0.1G in M: 15.33M); strings as written."""
    if value is None:
        return '-'
    if isinstance(value, str):
        return value
    if unit == 'G' and value < 1e8:
        unit = 'M'
    scale = {'M': 1e6, 'G': 1e9}[unit]
    return f'{value / scale:.2f}{unit}'


def is_pretraining(entry: dict) -> bool:
    """A pretraining entry: no numbers of its own (``Results: null`` and no
    ``Ours``) or only ones of the pretraining task."""
    results = (entry.get('Results') or []) + (entry.get('Ours') or [])
    return all(r.get('Task') == PRETRAIN_TASK for r in results)


def shown_results(entry: dict) -> List[dict]:
    """The results an entry's table rows come from: its paper numbers, or,
    for an entry measured only by us (``Results: null`` and ``Ours``), its
    ``Ours`` results (rows without a paper number)."""
    return entry.get('Results') or entry.get('Ours') or []


def entry_arch(entry: dict) -> str:
    """The arch of an entry: its metadata, else read from the config name
    (``vit-base`` -> ViT-B)."""
    metadata = entry.get('Metadata') or {}
    for key in ('Arch', 'Architecture', 'Backbone'):
        value = metadata.get(key)
        if value:
            return ', '.join(value) if isinstance(value, list) else str(value)
    found = re.search(r'vit-(tiny|small|base|large|huge)',
                      osp.basename(entry.get('Config', '')))
    return _ARCH_NAMES[found.group(1)] if found else '-'


def link(text: str, target: str) -> str:
    return f'[{escape(text)}]({target})'


def config_link(entry: dict, root: str, out_dir: str) -> str:
    """The entry's config as a link relative to the written file."""
    config = entry.get('Config', '')
    target = osp.relpath(osp.join(root, config), out_dir).replace(osp.sep, '/')
    return link(osp.splitext(osp.basename(config))[0], target)


def weights_cell(entry: dict, external: Optional[List[str]] = None) -> str:
    """Our published weights (or 'not published yet'), then the external
    checkpoints that stand in for this entry's encoder (``external``:
    markdown links)."""
    weights = entry.get('Weights')
    if isinstance(weights, dict):  # a local file (mmcae.utils.model_zoo)
        cell = (f'`{escape(weights["Name"])}` ({weights["Bytes"] / 1e6:.2f} '
                f'MB, sha256 {escape(str(weights["SHA256"])[:8])}..., not '
                'uploaded)')
    else:
        cell = link('weights', weights) if weights else 'not published yet'
    if external:
        cell += '; external: ' + ', '.join(external)
    return cell


#: the docs-driven rows (external weights, configs outside the metafiles),
#: relative to the repository root
EXTRA_FILE = 'docs/model_zoo_extra.yml'
#: the page whose external-weights table is generated
WEIGHTS_DOC = 'docs/weights.md'
WEIGHTS_START = '<!-- external-weights:start -->'
WEIGHTS_END = '<!-- external-weights:end -->'
_EXTERNAL_KEYS = ('Name', 'Source', 'Download', 'Arch', 'Epochs', 'Format',
                  'Trust', 'File', 'Target', 'For', 'Note')
_CONFIG_KEYS = ('Config', 'Paper', 'Expected', 'Note')


def load_extra(root: str) -> dict:
    """``docs/model_zoo_extra.yml`` under ``root`` (empty lists when the
    file does not exist): ``External Weights`` and ``Configs``.

    Raises:
        UserError: a row lacks a key (named with the file), or a config it
            names does not exist.
    """
    path = osp.join(root, EXTRA_FILE)
    if not osp.isfile(path):
        return {'External Weights': [], 'Configs': []}
    data = _read_yaml(path) or {}
    extra = {}
    for section, keys in (('External Weights', _EXTERNAL_KEYS),
                          ('Configs', _CONFIG_KEYS)):
        rows = data.get(section) or []
        for n, row in enumerate(rows):
            missing = [k for k in keys if k not in (row or {})]
            if missing:
                raise UserError(f'{EXTRA_FILE}: {section} row {n + 1} '
                                f'({(row or {}).get(keys[0], "?")}) lacks '
                                f'{", ".join(missing)}')
            if section == 'Configs' and not osp.isfile(
                    osp.join(root, row['Config'])):
                raise UserError(f'{EXTRA_FILE}: Configs row {n + 1}: no '
                                f'such config {row["Config"]} under {root}')
        extra[section] = rows
    return extra


def _anchor(text: str) -> str:
    """GitHub's heading anchor of ``text``."""
    text = re.sub(r'[^\w\- ]', '', text.strip().lower())
    return text.replace(' ', '-')


def convert_command(row: dict) -> str:
    """The command that turns an external checkpoint into the file the
    configs load."""
    trust = str(row.get('Trust', '')).lower().startswith('yes')
    return ('python tools/model_converters/convert_checkpoint.py '
            + ('--trust ' if trust else '') + f'{row["File"]} {row["Target"]}')


def external_lines(extra: dict) -> List[str]:
    """The external-weights table and the conversion commands."""
    rows = extra.get('External Weights') or []
    if not rows:
        return []
    body = [[escape(r['Name']), escape(r['Source']), str(r['Download']),
             escape(r['Arch']), escape(format_number(r['Epochs'])),
             f'`{escape(r["Format"])}`', escape(r['Trust']),
             f'`{escape(r["Target"])}`', escape(r['Note'])] for r in rows]
    lines = table_lines([
        'Checkpoint', 'Source', 'Download', 'Arch', 'Epochs',
        'Format (detected)', '--trust', 'Becomes', 'Note'
    ], body)
    lines += ['', 'Conversion commands (the converter detects the format; '
              'add `--trust` whenever it refuses a file that needs full '
              'unpickling and you trust its source):', '', '```shell']
    lines += [convert_command(r) for r in rows]
    lines += ['```']
    return lines


def external_links(extra: dict, entry_name: str, weights_doc: str
                   ) -> List[str]:
    """Links (to the weights page) of the external checkpoints whose
    ``For`` names ``entry_name``."""
    return [link(r['Name'], f'{weights_doc}#{_anchor("external checkpoints")}')
            for r in extra.get('External Weights') or []
            if entry_name in (r.get('For') or [])]


def alias_of(path: str) -> Optional[str]:
    """The one base config of a config that only sets ``_base_`` (the
    headline aliases), else None."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read())
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assign):
        return None
    node = tree.body[0]
    if [getattr(t, 'id', None) for t in node.targets] != ['_base_']:
        return None
    try:
        bases = ast.literal_eval(node.value)
    except ValueError:
        return None
    bases = [bases] if isinstance(bases, str) else list(bases)
    return bases[0] if len(bases) == 1 else None


def extra_config_lines(extra: dict, root: str, out_dir: str) -> List[str]:
    """The configs outside the metafiles, with labelled expected numbers
    (official code / derived from the paper text)."""
    rows = extra.get('Configs') or []
    if not rows:
        return []
    body = []
    for row in rows:
        config = row['Config']
        cell = config_link({'Config': config}, root, out_dir)
        base = alias_of(osp.join(root, config))
        if base:
            cell += ' (= `' + escape(osp.basename(base)) + '`)'
        body.append([cell, escape(row['Paper']), escape(row['Expected']),
                     escape(row['Note'])])
    return table_lines(['Config', 'Paper table / row', 'Expected', 'Note'],
                       body)


def note_cell(paper: dict) -> str:
    """The paper cell's ``Derived`` (how the number was read from the
    text) and ``Note`` (e.g. the lrs the paper searched), labelled."""
    parts = []
    if paper.get('Derived'):
        parts.append(f'derived from the text: {paper["Derived"]}')
    if paper.get('Note'):
        note = str(paper['Note'])
        if note.startswith('best of lrs'):
            note += (' (other lrs: `--cfg-options '
                     'optim_wrapper.optimizer.lr=LR`)')
        parts.append(note)
    return escape('; '.join(parts))


def encoder_cell(models: Dict[str, dict], entry: dict) -> str:
    """The pretraining entry whose encoder a downstream entry loads, and the
    checkpoint file (``Metadata['Encoder Checkpoint']``).

    The pretraining entry is the one ``Metadata['Pretrained']`` names (the
    metafile convention of :mod:`mmcae.utils.model_zoo`), else the one
    whose config name is part of the checkpoint's path (the work dir
    tools/train.py gives it).
    """
    metadata = entry.get('Metadata') or {}
    checkpoint = metadata.get('Encoder Checkpoint')
    if not checkpoint:
        return '-'
    named = metadata.get('Pretrained')
    if named not in models:
        named = None
        path = str(checkpoint).replace('\\', '/')
        for name, other in models.items():
            stem = osp.splitext(osp.basename(other.get('Config', '')))[0]
            if stem and is_pretraining(other) and re.search(
                    rf'(^|/){re.escape(stem)}(/|$)', path):
                named = name
                break
    file_name = f'`{escape(osp.basename(str(checkpoint)))}`'
    return f'{escape(named)} / {file_name}' if named else file_name


def ours_cell(entry: dict, result: dict, metric: str) -> str:
    """The entry's own number for a paper result (same task, same dataset
    where both name one), with links to its weights and log."""
    for ours in entry.get('Ours') or []:
        if ours.get('Task') != result.get('Task'):
            continue
        if (ours.get('Dataset') and result.get('Dataset')
                and ours['Dataset'] != result['Dataset']):
            continue
        value = (ours.get('Metrics') or {}).get(metric)
        if value is None:
            continue
        links = []
        weights = entry.get('Weights')
        if weights and not isinstance(weights, dict):
            links.append(link('weights', weights))
        logs = ours.get('Log') or []
        logs = logs if isinstance(logs, list) else [logs]
        local = [f'`{escape(log)}`' for log in logs
                 if not re.match(r'https?://', str(log))]
        links += [link('log', log) for log in logs
                  if re.match(r'https?://', str(log))]
        if local:
            links.append(('logs: ' if len(local) > 1 else 'log: ') +
                         ', '.join(local))
        suffix = f' ({", ".join(links)})' if links else ''
        std = (ours.get('Std') or {}).get(metric)
        if std is not None:  # the mean over seeds
            seeds = len(ours.get('Seeds') or [])
            return (f'{format_number(value)} ± {format_number(std)} '
                    f'({seeds} seeds)' + suffix)
        return format_number(value) + suffix
    return ''


def paper_row_text(paper: dict) -> str:
    """``cae-arxiv-1: CAE ViT-B 300 ep, LIN``."""
    row = ' '.join(
        str(part) for part in (
            paper.get('Method'), paper.get('Arch'),
            f'{paper["Epochs"]} ep' if paper.get('Epochs') else None)
        if part)
    text = f'{paper.get("Table", "-")}: {row}' if row else str(
        paper.get('Table', '-'))
    if paper.get('Column'):
        text += f', {paper["Column"]}'
    return escape(text)


def table_lines(header: List[str], rows: List[List[str]]) -> List[str]:
    return (['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join('---' for _ in header) + '|'] +
            ['| ' + ' | '.join(row) + ' |' for row in rows])


def collection_lines(name: str, models: Dict[str, dict], root: str,
                     out_dir: str, extra: Optional[dict] = None
                     ) -> List[str]:
    """The section of one collection: pretraining, then each task."""
    entries = {n: e for n, e in models.items()
               if e['Collection']['Name'] == name}
    collection = next(iter(entries.values()))['Collection']
    lines = [f'## {escape(name)}', '']
    paper = collection.get('Paper') or {}
    if isinstance(paper, dict) and paper.get('Title'):
        title = paper['Title']
        title = (link(title, paper['URL'])
                 if paper.get('URL') else escape(title))
        lines.append(f'- Paper: {title}')
    readme = collection.get('README')
    if readme:
        target = osp.relpath(osp.join(root, readme),
                             out_dir).replace(osp.sep, '/')
        lines.append(f'- README: {link(readme, target)}')
    if lines[-1]:
        lines.append('')

    pretrain = [e for e in entries.values() if is_pretraining(e)]
    if pretrain:
        lines += ['### Pretraining', '']
        rows = []
        weights_doc = osp.relpath(osp.join(root, WEIGHTS_DOC),
                                  out_dir).replace(osp.sep, '/')
        for entry in pretrain:
            metadata = entry.get('Metadata') or {}
            rows.append([
                config_link(entry, root, out_dir),
                escape(entry_arch(entry)),
                format_number(metadata.get('Epochs')),
                format_count(metadata.get('Parameters'), 'M'),
                format_count(metadata.get('FLOPs'), 'G'),
                weights_cell(
                    entry,
                    external_links(extra or {}, entry['Name'], weights_doc))
            ])
        lines += table_lines(
            ['Config', 'Arch', 'Epochs', 'Params', 'FLOPs', 'Weights'], rows)
        lines.append('')

    by_task: Dict[str, List[List[str]]] = {}
    for entry in entries.values():
        for result in shown_results(entry):
            task = result.get('Task') or '-'
            if task == PRETRAIN_TASK:
                continue
            for metric, value in (result.get('Metrics') or {}).items():
                dataset = result.get('Dataset')
                by_task.setdefault(task, []).append([
                    config_link(entry, root, out_dir),
                    paper_row_text(result.get('Paper') or {}),
                    encoder_cell(models, entry),
                    f'`{escape(metric)}`' +
                    (f' ({escape(dataset)})' if dataset else ''),
                    format_number(value) if entry.get('Results') else '-',
                    note_cell(result.get('Paper') or {}),
                    ours_cell(entry, result, metric)
                ])
    order = [t for t in TASKS if t in by_task]
    order += [t for t in by_task if t not in order]
    for task in order:
        lines += [f'### {escape(task)}', '']
        lines += table_lines([
            'Config', 'Paper table / row', 'Encoder', 'Metric', 'Paper',
            'Paper note', 'Ours'
        ], by_task[task])
        lines.append('')
    return lines


def demo_placeholder() -> str:
    return ('No demo results yet: run `bash tools/quickstart.sh`, then '
            f'`{COMMAND} --demo-results work_dirs/quickstart/results.json`.')


def _demo_number(value, digits: int = 2) -> str:
    if value is None or not math.isfinite(float(value)):
        return 'n/a'
    return f'{float(value):.{digits}f}'


def demo_lines(results: dict, source: str) -> List[str]:
    """The quickstart's results (its ``results.json``) as markdown.

    Raises:
        UserError: a key the section needs is missing (named with the file).
    """
    try:
        pretrain = results['pretrain']
        rows = results['rows']
        lines = [
            f'Measured by `bash tools/quickstart.sh` ({results["mode"]} '
            f'mode, {results["device"]}, '
            f'{float(results["total_seconds"]) / 60:.1f} min in all).', ''
        ]
        loss = ''
        if pretrain.get('first_loss') is not None:
            loss = (f': loss {_demo_number(pretrain["first_loss"], 3)} -> '
                    f'{_demo_number(pretrain.get("last_loss"), 3)} (mean of '
                    'the first and last tenth of the logged steps)')
        epochs = (f'{pretrain["epochs"]} epochs, '
                  if pretrain.get('epochs') is not None else '')
        lines += [
            f'CAE pretraining (`{pretrain["config"]}`, {epochs}'
            f'{float(pretrain["seconds"]) / 60:.1f} min){loss}.', ''
        ]
        body = []
        for row in rows:
            pretrained, random = row['pretrained'], row['random']
            both = all(v is not None and math.isfinite(float(v))
                       for v in (pretrained, random))
            body.append([
                escape(row['task']),
                f'{escape(row.get("unit", ""))} (`{escape(row["metric"])}`)',
                _demo_number(pretrained),
                _demo_number(random),
                f'{float(pretrained) - float(random):+.2f}' if both else 'n/a'
            ])
    except (KeyError, TypeError, ValueError) as err:
        raise UserError(f'{source}: not a quickstart results file '
                        f'({type(err).__name__}: {err}); it is written by '
                        '`bash tools/quickstart.sh` as WORK_DIR/results.json'
                        ) from err
    lines += table_lines([
        'Task', 'Metric', 'Pretrained encoder', 'Random encoder',
        'Difference'
    ], body)
    return lines


def existing_demo_section(path: str) -> Optional[str]:
    """The text between the demo markers of an existing file, or None."""
    if not osp.isfile(path):
        return None
    with open(path) as f:
        text = f.read()
    start, end = text.find(DEMO_START), text.find(DEMO_END)
    if start < 0 or end < start:
        return None
    return text[start + len(DEMO_START):end].strip('\n')


def generate(models: Dict[str, dict], root: str, out_dir: str,
             demo_section: str, extra: Optional[dict] = None) -> str:
    """The whole ``model_zoo.md``.

    Args:
        models (dict): :func:`load_model_index`'s result.
        root (str): the directory of model-index.yml (configs are relative
            to it).
        out_dir (str): where the file goes (links are relative to it).
        demo_section (str): the markdown between the demo markers.
        extra (dict, optional): :func:`load_extra`'s result (external
            weights, configs outside the metafiles).

    Returns:
        str: the file's text.

    Raises:
        UserError: an external checkpoint is ``For`` an entry the model
            index does not have.
    """
    extra = extra or {}
    for row in extra.get('External Weights') or []:
        unknown = [n for n in row.get('For') or [] if n not in models]
        if unknown:
            raise UserError(f'{EXTRA_FILE}: external checkpoint '
                            f'{row["Name"]!r} is For {unknown}, not in the '
                            'model index')
    lines = [
        f'<!-- Generated by {COMMAND} from model-index.yml and the '
        'metafiles it imports. Do not edit: edit the metafiles and run it '
        f'again ({COMMAND} --check tells whether this file is stale). -->',
        '',
        '# Model zoo',
        '',
        f'*Generated by `{COMMAND}` from `model-index.yml`.*',
        '',
        'Every config of the metafiles, per method and task. **Paper** is '
        'the number the paper gives for the table row the config '
        'reproduces; **Ours** is the number measured with mmcae, filled '
        'once a run is published (with its weights). To compare your own '
        'runs with the paper tables: `python tools/analysis_tools/'
        'collect_results.py WORK_DIR [WORK_DIR ...]`.',
        '',
    ]
    configs = extra_config_lines(extra, root, out_dir)
    if configs:
        lines += [
            '## Headline configs and rows without a paper number', '',
            'The two headline configs (`configs/cae/vitb_upernet_ade20k.py`, '
            '`configs/cae/vitb_mask-rcnn_1x_coco.py`) and the configs whose '
            "paper row has no number in the papers' text. **Expected** says "
            'where its number comes from: the official CAE repository '
            '(github.com/Atten4Vis/CAE) or a derivation from the text.', ''
        ] + configs + ['']
    for name in unique(e['Collection']['Name'] for e in models.values()):
        lines += collection_lines(name, models, root, out_dir, extra)
    external = external_lines(extra)
    if external:
        weights_doc = osp.relpath(osp.join(root, WEIGHTS_DOC),
                                  out_dir).replace(osp.sep, '/')
        lines += [
            '## External checkpoints', '',
            'Published elsewhere, not trained by mmcae: each row says the '
            'format the converter detects and the file the configs load '
            f'once converted (details: {link(WEIGHTS_DOC, weights_doc)}).',
            ''
        ] + external + ['']
    lines += [
        '## Demo data (CPU quickstart)', '', DEMO_START, demo_section,
        DEMO_END, ''
    ]
    return '\n'.join(lines)


README_START = '<!-- metafile-table:start -->'
README_END = '<!-- metafile-table:end -->'


def _table_key(table: Optional[str]):
    """Paper table ids in natural order (cae-arxiv-2 before cae-arxiv-10)."""
    return [int(part) if part.isdigit() else part
            for part in re.split(r'(\d+)', str(table or ''))]


def readme_table(models: Dict[str, dict], readme: str, root: str) -> str:
    """The paper-number table of the collections whose ``README`` is
    ``readme`` (relative to ``root``): one row per (entry, metric), by
    paper table, in metafile order within a table; config links relative
    to the README."""
    readme_dir = osp.dirname(osp.join(root, readme))
    rows = []
    with_ours = False  # an Ours column for entries measured only by us
    for entry in models.values():
        if entry['Collection'].get('README') != readme:
            continue
        paper_numbers = bool(entry.get('Results'))
        for result in shown_results(entry):
            paper = result.get('Paper') or {}
            for metric, value in (result.get('Metrics') or {}).items():
                dataset = result.get('Dataset')
                ours = '' if paper_numbers else ours_cell(
                    entry, result, metric)
                with_ours = with_ours or bool(ours)
                rows.append((_table_key(paper.get('Table')), [
                    paper_row_text(paper),
                    config_link(entry, root, readme_dir),
                    encoder_cell(models, entry),
                    f'`{escape(metric)}`' +
                    (f' ({escape(dataset)})' if dataset else ''),
                    format_number(value) if paper_numbers else '-', ours
                ]))
    rows.sort(key=lambda row: row[0])  # stable: metafile order kept
    lines = [
        f'<!-- Generated from metafile.yml by {COMMAND}; edit the '
        'metafile, not this table. -->', ''
    ]
    header = ['Paper table / row', 'Config', 'Encoder', 'Metric', 'Paper',
              'Ours']
    columns = list(range(5)) + ([5] if with_ours else [])
    if rows and all(cells[0] == '-' and cells[4] == '-'
                    for _, cells in rows):  # no paper numbers at all
        columns = [1, 2, 3, 5]
    lines += table_lines([header[c] for c in columns],
                         [[cells[c] for c in columns] for _, cells in rows])
    return '\n'.join(lines)


def with_markers(text: str, table: str, path: str, start_marker: str,
                 end_marker: str, what: str) -> str:
    """``text`` with ``table`` between ``start_marker`` and ``end_marker``.

    Raises:
        UserError: the file has no (ordered) pair of markers.
    """
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        raise UserError(
            f'{path} has no {start_marker} ... {end_marker} markers: add '
            f'them (on lines of their own) where {what} goes')
    return (text[:start + len(start_marker)] + '\n' + table + '\n' +
            text[end:])


def with_readme_table(text: str, table: str, path: str) -> str:
    """``text`` (a README) with ``table`` between the markers.

    Raises:
        UserError: the README has no (ordered) pair of markers.
    """
    return with_markers(text, table, path, README_START, README_END,
                        'the paper-number table generated from the metafile')


def _read(path: str) -> Optional[str]:
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        return f.read()


def _demo_section(demo_results: Optional[str], out: str) -> str:
    if not demo_results:
        demo = existing_demo_section(out)
        return demo_placeholder() if demo is None else demo
    if not osp.isfile(demo_results):
        raise UserError(f'--demo-results: no such file: {demo_results}')
    with open(demo_results) as f:
        try:
            results = json.load(f)
        except json.JSONDecodeError as err:
            raise UserError(f'{demo_results} is not JSON: {err}') from err
    return '\n'.join(demo_lines(results, demo_results))


def generated_files(root: Optional[str] = None,
                    out: Optional[str] = None,
                    demo_results: Optional[str] = None) -> Dict[str, str]:
    """Every file the generator writes, with its text: ``out`` (default
    ``ROOT/model_zoo.md``) and each collection's README.

    Raises:
        UserError: a bad metafile, demo results file, or a README that is
            missing or has no table markers.
    """
    root = root or REPO_ROOT
    out = out or osp.join(root, 'model_zoo.md')
    models = load_model_index(root)
    extra = load_extra(root)
    demo = _demo_section(demo_results, out)
    files = {
        out: generate(models, root, osp.dirname(osp.abspath(out)), demo,
                      extra)
    }
    weights_doc = osp.join(root, WEIGHTS_DOC)
    text = _read(weights_doc)
    if text is not None:
        files[weights_doc] = with_markers(
            text, '\n'.join(external_lines(extra)), WEIGHTS_DOC,
            WEIGHTS_START, WEIGHTS_END, 'the external-weights table '
            f'generated from {EXTRA_FILE}')
    readmes = unique(e['Collection'].get('README') for e in models.values())
    for readme in filter(None, readmes):
        path = osp.join(root, readme)
        text = _read(path)
        if text is None:
            raise UserError(f'{readme}, the README of a collection in the '
                            f'metafiles, does not exist under {root}')
        files[path] = with_readme_table(
            text, readme_table(models, readme, root), readme)
    return files


def update_model_zoo(root: Optional[str] = None,
                     out: Optional[str] = None,
                     demo_results: Optional[str] = None,
                     check: bool = False) -> int:
    """Write :func:`generated_files`, or with ``check`` compare them.

    Returns:
        int: 0, or 1 when ``check`` finds a stale (or missing) file; each
        stale file is named on stderr with the command that updates it.
    """
    files = generated_files(root, out, demo_results)
    names = ', '.join(map(_shown, files))
    if check:
        stale = [path for path, text in files.items()
                 if _read(path) != text]
        for path in stale:
            print(f'{PROG}: {_shown(path)} is stale (or missing): run '
                  f'{COMMAND}' + (f' --root {root}' if root else '') +
                  (f' --out {out}' if out else '') +
                  ' and commit the result', file=sys.stderr)
        if stale:
            return 1
        print(f'{PROG}: {names} up to date')
        return 0
    for path, text in files.items():
        if _read(path) != text:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
    print(f'{PROG}: wrote {names}')
    return 0


def _shown(path: str) -> str:
    """``path`` relative to the working directory when it is under it."""
    relative = osp.relpath(path)
    return path if relative.startswith('..') else relative
