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
with links to its ``Weights``). The section "Demo data (CPU quickstart)"
comes from the ``results.json`` that ``bash tools/quickstart.sh`` writes,
or is kept from the existing file.

mim's own ``mim`` command lists a model index but renders no tables, and
mmpretrain's ``.dev_scripts/generate_readme.py`` knows neither the
``Paper`` cells nor the ``Ours`` results of :mod:`mmcae.utils.model_zoo`,
hence this module.
"""
import json
import math
import os.path as osp
import re
import sys
from typing import Dict, List, Optional

from .errors import UserError
from .model_zoo import REPO_ROOT, TASKS, load_model_index, unique

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
    """Parameters / FLOPs: raw counts (86566888) as 86.57M, 17.58G;
    strings as written."""
    if value is None:
        return '-'
    if isinstance(value, str):
        return value
    scale = {'M': 1e6, 'G': 1e9}[unit]
    return f'{value / scale:.2f}{unit}'


def is_pretraining(entry: dict) -> bool:
    """A pretraining entry: no paper numbers of its own (``Results: null``)
    or only ones of the pretraining task."""
    results = entry.get('Results') or []
    return all(r.get('Task') == PRETRAIN_TASK for r in results)


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


def weights_cell(entry: dict) -> str:
    weights = entry.get('Weights')
    return link('weights', weights) if weights else 'not published yet'


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
        if entry.get('Weights'):
            links.append(link('weights', entry['Weights']))
        log = ours.get('Log')
        if log:
            links.append(
                link('log', log) if re.match(r'https?://', str(log)) else
                f'log: `{escape(log)}`')
        suffix = f' ({", ".join(links)})' if links else ''
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
                     out_dir: str) -> List[str]:
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
        for entry in pretrain:
            metadata = entry.get('Metadata') or {}
            rows.append([
                config_link(entry, root, out_dir),
                escape(entry_arch(entry)),
                format_number(metadata.get('Epochs')),
                format_count(metadata.get('Parameters'), 'M'),
                format_count(metadata.get('FLOPs'), 'G'),
                weights_cell(entry)
            ])
        lines += table_lines(
            ['Config', 'Arch', 'Epochs', 'Params', 'FLOPs', 'Weights'], rows)
        lines.append('')

    by_task: Dict[str, List[List[str]]] = {}
    for entry in entries.values():
        for result in entry.get('Results') or []:
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
                    format_number(value),
                    ours_cell(entry, result, metric)
                ])
    order = [t for t in TASKS if t in by_task]
    order += [t for t in by_task if t not in order]
    for task in order:
        lines += [f'### {escape(task)}', '']
        lines += table_lines([
            'Config', 'Paper table / row', 'Encoder', 'Metric', 'Paper',
            'Ours'
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
             demo_section: str) -> str:
    """The whole ``model_zoo.md``.

    Args:
        models (dict): :func:`load_model_index`'s result.
        root (str): the directory of model-index.yml (configs are relative
            to it).
        out_dir (str): where the file goes (links are relative to it).
        demo_section (str): the markdown between the demo markers.

    Returns:
        str: the file's text.
    """
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
    for name in unique(e['Collection']['Name'] for e in models.values()):
        lines += collection_lines(name, models, root, out_dir)
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
    for entry in models.values():
        if entry['Collection'].get('README') != readme:
            continue
        for result in entry.get('Results') or []:
            paper = result.get('Paper') or {}
            for metric, value in (result.get('Metrics') or {}).items():
                dataset = result.get('Dataset')
                rows.append((_table_key(paper.get('Table')), [
                    paper_row_text(paper),
                    config_link(entry, root, readme_dir),
                    encoder_cell(models, entry),
                    f'`{escape(metric)}`' +
                    (f' ({escape(dataset)})' if dataset else ''),
                    format_number(value)
                ]))
    rows.sort(key=lambda row: row[0])  # stable: metafile order kept
    lines = [
        f'<!-- Generated from metafile.yml by {COMMAND}; edit the '
        'metafile, not this table. -->', ''
    ]
    lines += table_lines(
        ['Paper table / row', 'Config', 'Encoder', 'Metric', 'Paper'],
        [cells for _, cells in rows])
    return '\n'.join(lines)


def with_readme_table(text: str, table: str, path: str) -> str:
    """``text`` (a README) with ``table`` between the markers.

    Raises:
        UserError: the README has no (ordered) pair of markers.
    """
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise UserError(
            f'{path} has no {README_START} ... {README_END} markers: add '
            'them (on lines of their own) where the paper-number table '
            'generated from the metafile goes')
    return (text[:start + len(README_START)] + '\n' + table + '\n' +
            text[end:])


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
    demo = _demo_section(demo_results, out)
    files = {out: generate(models, root, osp.dirname(osp.abspath(out)), demo)}
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
