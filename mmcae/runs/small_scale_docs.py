"""The small-scale protocol's numbers in the model index and its README,
generated from a work dir's result files
(``python .dev_scripts/update_small_scale_results.py --work-dir WORK_DIR``).

``configs/benchmarks/metafile.yml`` (collection
:data:`COLLECTION`) holds, in the conventions of
:mod:`mmcae.utils.model_zoo`:

* one entry per pretraining config (named after the config, ``Results:
  null``), whose ``Weights`` is the encoder ``publish_<method>`` wrote: a
  mapping ``{Name, SHA256, Bytes, Command, Pretrain Command}`` (a local
  file, not uploaded: checkpoints over 1 MB are not committed), ``null``
  until it is published;
* one entry per (downstream config, encoder) that has a result, named
  ``<config name>_<method>``, with no paper numbers (``Results: null``)
  and an ``Ours`` list: one result per protocol run with the config (the
  linear-probe config also carries the k-NN number, metric
  :data:`KNN_METRIC`, as k-NN reads the same config and encoder), each
  with ``Metrics`` (the mean over seeds), ``Seeds``, ``Log`` (repository
  relative; a list when several seeds ran) and, for several seeds,
  ``Std`` (sample standard deviation) and ``Values`` (per seed, in
  ``Seeds`` order). ``Metadata['Cfg Options']`` lists the
  ``--cfg-options`` the encoder needs (``model.backbone.init_cfg=None`` for
  the random encoder, whose ``Encoder Checkpoint`` is absent).

Everything else of the metafile (comments at its top, the collection,
the pretraining entries' metadata, keys added by hand to an entry) is
kept: :func:`update_metafile` rewrites ``Weights``, ``Ours`` and the
downstream entries only. Commands and paths are written relative to the
repository (``python`` for the interpreter), so the metafile does not
depend on the machine that ran the protocol.
"""
import functools
import json
import os
import os.path as osp
import re
import statistics
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import yaml

from mmcae.utils.errors import UserError
from mmcae.utils.model_zoo import REPO_ROOT
from mmcae.utils.model_zoo_docs import with_markers
from .small_scale import (METHODS, PROTOCOLS, ProtocolSettings, build_table,
                          load_results, table_markdown)

METAFILE = 'configs/benchmarks/metafile.yml'
README = 'configs/benchmarks/README.md'
COLLECTION = 'Small-scale protocol'
TABLE_START = '<!-- small-scale-table:start -->'
TABLE_END = '<!-- small-scale-table:end -->'
#: the metric key of a k-NN result in the metafile (``top1`` of the
#: ``knn.json`` that tools/analysis_tools/knn_eval.py writes)
KNN_METRIC = 'knn/top1'
#: protocol -> (task, dataset) of its metafile result
TASK_OF = {
    'lin': ('Image Classification', 'CIFAR-10'),
    'att': ('Image Classification', 'CIFAR-10'),
    'ft': ('Image Classification', 'CIFAR-10'),
    'knn': ('Image Classification', 'CIFAR-10'),
    'camvid': ('Semantic Segmentation', 'CamVid'),
}
#: metadata of the downstream entries by config (the training data)
_TRAINING_DATA = {'camvid': 'CamVid'}
#: the Metadata keys of a downstream entry that the results decide
_OWNED_METADATA = ('Pretrained', 'Pretrain Epochs', 'Encoder Checkpoint',
                   'Cfg Options')
#: the metafile's Architecture of every config of the protocol
ARCHITECTURE = 'ViT (4 layers, 64 dims, 4 heads; patch 4)'

#: (config, cfg options) -> {'Parameters': int, 'FLOPs': int}
StatsFn = Callable[[str, Tuple[str, ...]], Dict[str, int]]


def stem(config: str) -> str:
    """A config's name without folder and ``.py``."""
    return osp.splitext(osp.basename(config))[0]


def pretrain_entry_name(method: str) -> str:
    """The metafile name of ``method``'s pretraining entry."""
    return stem(METHODS[method]['config'])


def downstream_entry_name(protocol: str, method: str) -> str:
    """The metafile name of the (config, encoder) entry of a protocol
    (k-NN shares the linear probe's entry)."""
    return f'{stem(PROTOCOLS[protocol]["config"])}_{method}'


def relative(path: Optional[str], root: str) -> Optional[str]:
    """``path`` relative to the repository when it lies under it."""
    if not path:
        return path
    if osp.isabs(path):
        rel = osp.relpath(path, root)
        if not rel.startswith('..'):
            return rel.replace(osp.sep, '/')
    return path


def portable_command(command: str, root: str) -> str:
    """A recorded command with ``python`` for the interpreter and paths
    relative to the repository."""
    words = command.split(' ')
    if words and re.search(r'(^|/)python[\d.]*$', words[0]):
        words[0] = 'python'
    prefix = osp.join(root, '')
    return ' '.join(w.replace(prefix, '') for w in words)


def model_stats(config: str, options: Sequence[str] = ()) -> Dict[str, int]:
    """Parameters (whole model) and FLOPs (the encoder, one image) of a
    config with ``--cfg-options`` on an image of the backbone's
    ``img_size`` (mmengine's counter, as ``tools/analysis_tools/
    get_flops.py --encoder-only --shape H W``)."""
    from mmengine.config import DictAction

    from mmcae.analysis.complexity import model_complexity
    from mmcae.utils.config import load_config
    cfg_options = {}
    for option in options:
        key, value = option.split('=', 1)
        cfg_options[key] = DictAction._parse_iterable(value)
    cfg = load_config(osp.join(REPO_ROOT, config), cfg_options or None)
    size = cfg.model.backbone.get('img_size', 224)  # the encoder's input
    shape = tuple(size) if isinstance(size, (list, tuple)) else (size, size)
    info = model_complexity(cfg, shape, whole_model=False)
    return {'Parameters': int(info['params']), 'FLOPs': int(info['flops'])}


def _round(value: float) -> float:
    return round(float(value), 2)


def weights_of(results: Dict[str, dict], method: str,
               root: str) -> Optional[dict]:
    """The ``Weights`` mapping of ``method``'s published encoder (None when
    it is not published yet)."""
    record = results.get(f'publish_{method}')
    if not record:
        return None
    weights = {
        'Name': osp.basename(record['encoder']),
        'SHA256': record['sha256'],
        'Bytes': int(record['bytes']),
        'Command': portable_command(record['command'], root),
    }
    pretrain = results.get(f'pretrain_{method}')
    if pretrain and pretrain.get('command'):
        weights['Pretrain Command'] = portable_command(pretrain['command'],
                                                      root)
    return weights


def ours_of(results: Dict[str, dict], protocol: str, method: str,
            root: str) -> Optional[dict]:
    """One ``Ours`` result: the protocol's runs of ``method`` over seeds
    (None when none finished)."""
    runs = sorted((r for r in results.values()
                   if r.get('kind') == protocol and r.get('method') == method
                   and r.get('value') is not None),
                  key=lambda r: r['seed'])
    if not runs:
        return None
    metric = KNN_METRIC if protocol == 'knn' else PROTOCOLS[protocol][
        'metric']
    values = [float(r['value']) for r in runs]
    task, dataset = TASK_OF[protocol]
    ours = {'Task': task, 'Dataset': dataset,
            'Metrics': {metric: _round(statistics.fmean(values))},
            'Seeds': [int(r['seed']) for r in runs]}
    if len(runs) > 1:
        ours['Std'] = {metric: _round(statistics.stdev(values))}
        ours['Values'] = {metric: [_round(v) for v in values]}
    logs = [relative(r.get('log'), root) for r in runs]
    ours['Log'] = logs[0] if len(logs) == 1 else logs
    return ours


def _encoder_of(results: Dict[str, dict], method: str) -> Optional[str]:
    """The encoder file ``method``'s evaluations loaded (the ``encoder``
    of their results, else of its publish step)."""
    for record in results.values():
        if (record.get('method') == method and record.get('encoder')
                and record.get('kind') not in ('publish', 'pretrain')):
            return record['encoder']
    publish = results.get(f'publish_{method}')
    return publish.get('encoder') if publish else None


@functools.lru_cache(maxsize=None)
def _config_metadata(config: str) -> dict:
    """Epochs or Iterations and Batch Size of a config."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    metadata = {}
    if cfg.train_cfg.get('max_iters'):
        metadata['Iterations'] = cfg.train_cfg.max_iters
    else:
        metadata['Epochs'] = cfg.train_cfg.max_epochs
    metadata['Batch Size'] = cfg.train_dataloader.batch_size
    return metadata


def downstream_entry(results: Dict[str, dict], protocol: str, method: str,
                     root: str, old: Optional[dict],
                     stats: StatsFn) -> Optional[dict]:
    """The (config, encoder) entry of ``protocol`` (``'lin'`` also holds
    k-NN) and ``method``; None when no run of it has a result."""
    protocols = [protocol] + (['knn'] if protocol == 'lin' else [])
    ours = [o for o in (ours_of(results, p, method, root)
                        for p in protocols) if o]
    if not ours:
        return None
    config = PROTOCOLS[protocol]['config']
    options = list(METHODS[method]['options'])
    old = dict(old or {})
    old_metadata = old.get('Metadata') or {}
    metadata = {'Architecture': old_metadata.get('Architecture',
                                                 ARCHITECTURE)}
    if METHODS[method]['config'] is None:
        options.append('model.backbone.init_cfg=None')
    else:
        metadata['Pretrained'] = pretrain_entry_name(method)
        metadata['Pretrain Epochs'] = dict(_config_metadata(
            METHODS[method]['config']))['Epochs']
        encoder = relative(_encoder_of(results, method), root)
        if encoder:
            metadata['Encoder Checkpoint'] = encoder
    if options:
        metadata['Cfg Options'] = options
    metadata.update(dict(_config_metadata(config)))
    metadata['Training Data'] = _TRAINING_DATA.get(protocol, 'CIFAR-10')
    if old_metadata.get('Parameters') and old_metadata.get('FLOPs'):
        metadata['Parameters'] = old_metadata['Parameters']
        metadata['FLOPs'] = old_metadata['FLOPs']
    else:
        metadata.update(stats(config, tuple(options)))
    for key, value in old_metadata.items():  # keys added by hand
        if key not in _OWNED_METADATA:
            metadata.setdefault(key, value)
    entry = {'Name': downstream_entry_name(protocol, method),
             'In Collection': COLLECTION, 'Config': config,
             'Metadata': metadata, 'Results': None, 'Ours': ours,
             'Weights': None}
    for key, value in old.items():  # keys added by hand
        entry.setdefault(key, value)
    return entry


def is_generated(entry: dict) -> bool:
    """A downstream entry that :func:`update_metafile` owns."""
    return entry.get('Name') in {
        downstream_entry_name(p, m) for p in PROTOCOLS for m in METHODS}


def update_metafile(data: dict, results: Dict[str, dict],
                    root: str = REPO_ROOT,
                    stats: StatsFn = model_stats) -> dict:
    """The metafile ``data`` with the ``Weights`` of its pretraining
    entries and its downstream entries made from ``results``
    (:func:`mmcae.runs.small_scale.load_results`).

    Args:
        data (dict): the metafile's content (``Collections``, ``Models``).
        results (dict): step name -> result record.
        root (str): the repository (paths and commands are made relative
            to it).
        stats (callable): ``(config, options) -> {'Parameters', 'FLOPs'}``
            for a new entry (:func:`model_stats`); an entry's numbers are
            kept once there.

    Returns:
        dict: the new content (``data`` is not changed).
    """
    models = [dict(m) for m in data.get('Models') or []]
    by_name = {m['Name']: m for m in models}
    for method in METHODS:
        if METHODS[method]['config'] is None:
            continue
        entry = by_name.get(pretrain_entry_name(method))
        if entry is not None:
            entry['Weights'] = weights_of(results, method, root)
    kept = [m for m in models if not is_generated(m)]
    for protocol in PROTOCOLS:
        if protocol == 'knn':
            continue  # in the linear probe's entry
        for method in METHODS:
            name = downstream_entry_name(protocol, method)
            entry = downstream_entry(results, protocol, method, root,
                                     by_name.get(name), stats)
            if entry:
                kept.append(entry)
    return dict(data, Models=kept)


def read_metafile(path: str) -> Tuple[str, dict]:
    """The comment lines at the top of a metafile and its content."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    header = []
    for line in text.splitlines():
        if not line.startswith('#'):
            break
        header.append(line)
    return '\n'.join(header), yaml.safe_load(text) or {}


def dump_metafile(header: str, data: dict) -> str:
    """The metafile's text: ``header`` then the YAML (keys in order)."""
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True,
                          width=1000)
    return (header + '\n' if header else '') + body


def machine_from_logs(results: Dict[str, dict]) -> Optional[str]:
    """'CPU only' or the GPU's name, from the environment mmengine prints
    at the top of the runs' logs (the first log that says)."""
    for record in results.values():
        log = record.get('log')
        if not log or not osp.isfile(log):
            continue
        with open(log, encoding='utf-8', errors='replace') as f:
            head = [next(f, '') for _ in range(40)]
        for line in head:
            found = re.match(r'\s*GPU 0[^:]*: (.+)', line)
            if found:
                return found.group(1).strip()
            if re.match(r'\s*CUDA available: False', line):
                return 'CPU only'
    return None


def environment_line(results: Dict[str, dict],
                     settings_file: Optional[str] = None,
                     machine: Optional[str] = None) -> str:
    """'Measured on MACHINE, J jobs x T threads: N evaluation runs, the
    last finished DATE.' from what is known: ``machine`` (else the
    ``machine`` key of the work dir's ``results.json``, else what the logs
    say: :func:`machine_from_logs`), its ``jobs`` / ``threads`` keys, the
    ``finished`` times of the results."""
    extra = {}
    if settings_file and osp.isfile(settings_file):
        with open(settings_file) as f:
            try:
                extra = json.load(f)
            except ValueError:
                extra = {}
    runs = [r for r in results.values()
            if r.get('kind') not in ('pretrain', 'publish')]
    if not runs:
        return 'No evaluation has finished yet.'
    where = []
    machine = (machine or extra.get('machine')
               or machine_from_logs(results))
    if machine:
        where.append(f'on {machine}')
    if extra.get('jobs') and extra.get('threads'):
        where.append(f'{extra["jobs"]} jobs x {extra["threads"]} thread(s)')
    text = 'Measured' + (' ' + ', '.join(where) if where else '')
    text += f': {len(runs)} evaluation run{"s" if len(runs) > 1 else ""}'
    finished = sorted(r['finished'] for r in results.values()
                      if r.get('finished'))
    if finished:
        text += f', the last finished {finished[-1]}'
    return text + '.'


def encoders_lines(results: Dict[str, dict], root: str) -> List[str]:
    """The published encoders (not committed: name, sha256, size and the
    command that writes them)."""
    lines = []
    for method in METHODS:
        weights = weights_of(results, method, root)
        if not weights:
            continue
        lines.append(
            f'- {METHODS[method]["label"]}: `{weights["Name"]}` '
            f'({weights["Bytes"] / 1e6:.2f} MB, sha256 '
            f'`{weights["SHA256"]}`), written by `{weights["Command"]}`')
    if lines:
        lines = ['', 'Published encoders (not committed; the commands '
                 'remake them from the pretraining work dirs):', ''] + lines
    return lines


def readme_block(results: Dict[str, dict], root: str = REPO_ROOT,
                 settings_file: Optional[str] = None,
                 machine: Optional[str] = None) -> str:
    """The README's generated table: the protocol's table
    (:func:`mmcae.runs.small_scale.table_markdown`), the environment line
    and the published encoders."""
    table = table_markdown(build_table(results))
    lines = [
        '<!-- Generated from the result files by python .dev_scripts/'
        'update_small_scale_results.py; do not edit. -->', '', table, '',
        environment_line(results, settings_file, machine)
    ]
    lines += encoders_lines(results, root)
    return '\n'.join(lines)


#: a README made when there is none (the text around the markers is the
#: maintainers')
README_TEMPLATE = ('# Small-scale protocol (CIFAR-10, CamVid)\n\n'
                   '## Results\n\n' + TABLE_START + '\n' + TABLE_END +
                   '\n\n## Metafile entries\n\n'
                   '<!-- metafile-table:start -->\n'
                   '<!-- metafile-table:end -->\n')


def with_readme_block(text: str, block: str, path: str = README) -> str:
    """``text`` with ``block`` between the small-scale table markers."""
    return with_markers(text, block, path, TABLE_START, TABLE_END,
                        'the small-scale results table')


def update_small_scale_docs(work_dir: str, root: str = REPO_ROOT,
                            stats: StatsFn = model_stats,
                            machine: Optional[str] = None,
                            regenerate_zoo: bool = True) -> List[str]:
    """Rewrite the metafile's ``Weights`` / ``Ours`` and the README's table
    from ``work_dir``'s results, then regenerate ``model_zoo.md`` and the
    READMEs' metafile tables (:func:`mmcae.utils.model_zoo_docs.
    update_model_zoo`).

    Returns:
        list[str]: the files written (relative to ``root``).

    Raises:
        UserError: the work dir does not exist (one without results
            yet gives empty tables), the metafile is missing, or the
            README has no markers.
    """
    if not osp.isdir(work_dir):
        raise UserError(f'no such work dir: {work_dir} (the --work-dir of '
                        'tools/benchmark/small_scale.py)')
    settings = ProtocolSettings(work_dir=work_dir, cifar_root='',
                                camvid_root='')
    results = load_results(settings)
    metafile = osp.join(root, METAFILE)
    if not osp.isfile(metafile):
        raise UserError(f'{metafile} does not exist')
    header, data = read_metafile(metafile)
    text = dump_metafile(header, update_metafile(data, results, root,
                                                 stats))
    written = []
    if _write(metafile, text):
        written.append(METAFILE)
    readme = osp.join(root, README)
    if osp.isfile(readme):
        with open(readme, encoding='utf-8') as f:
            old = f.read()
    else:
        old = README_TEMPLATE
    new = with_readme_block(
        old, readme_block(results, root, osp.join(work_dir, 'results.json'),
                          machine), README)
    if _write(readme, new):
        written.append(README)
    if regenerate_zoo:
        from mmcae.utils.model_zoo_docs import update_model_zoo
        update_model_zoo(root)
    return written


def _write(path: str, text: str) -> bool:
    if osp.isfile(path):
        with open(path, encoding='utf-8') as f:
            if f.read() == text:
                return False
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return True


__all__ = [
    'METAFILE', 'README', 'COLLECTION', 'KNN_METRIC', 'update_metafile',
    'readme_block', 'with_readme_block', 'update_small_scale_docs',
    'model_stats', 'weights_of', 'ours_of'
]
