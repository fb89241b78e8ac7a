"""The small-scale protocol on real images: pretrain on CIFAR-10, evaluate
on CIFAR-10 (LIN, ATT, FT, k-NN) and transfer to CamVid (UperNet)
(``python tools/benchmark/small_scale.py``; configs/benchmarks/README.md).

Every cell of the table is one run of the user's own command
(``tools/train.py CONFIG --cfg-options ...``, or ``knn_eval.py`` for k-NN)
in its own process, scheduled by :func:`mmcae.runs.scheduler.run_steps`:
``jobs`` at a time, a step as soon as the encoder it needs is published,
longest chain first. The protocol is resumable run by run: a finished
step leaves ``WORK_DIR/results/<step>.json`` (its number, wall time and
command) and is never redone; an interrupted pretraining continues from its
last epoch checkpoint (``tools/train.py --resume``); an interrupted
evaluation (minutes) starts again.

The steps of a seed ``s``:

* ``pretrain_<method>``: the method's config, ``randomness.seed`` = the
  pretraining seed; ``publish_<method>`` writes its encoder with
  ``publish_model.py --backbone-only`` (``mmcae.ViT`` keys, sha256 name);
* ``<protocol>_<method>_s<s>``: the protocol's config from that encoder
  (``init_cfg`` Pretrained) or from a random one (``init_cfg=None``; the
  seed then also draws the random encoder), ``randomness.seed`` = ``s``.
"""
import glob
import json
import os
import os.path as osp
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from mmcae.checkpoint.atomic import write_json_atomically as write_json
from .quickstart import train_schedule
from .scalars import last_val_record, scalars_files
from .scheduler import DONE, FAILED, SKIPPED, Step, run_steps
from .tables import format_number, markdown_table

_BENCH = 'configs/benchmarks/'
#: method -> its pretraining config (None: the random encoder), the
#: ``--cfg-options`` its encoder needs downstream, and its table label
METHODS = {
    'cae': dict(
        config=_BENCH + 'cae_vit-tiny-p4_1xb256-pixel-coslr-5e_cifar10.py',
        options=[], label='CAE (pixel target)'),
    'cae-no-align': dict(
        config=_BENCH +
        'cae_vit-tiny-p4_1xb256-pixel-coslr-5e_no-align_cifar10.py',
        options=[], label='CAE w/o alignment'),
    'mae': dict(
        config=_BENCH + 'mae_vit-tiny-p4_1xb256-coslr-5e_cifar10.py',
        # mmpretrain's ViT: a bias on q, k and v, no layer scale
        options=['model.backbone.qkv_bias=qkv',
                 'model.backbone.layer_scale_init_value=0.'],
        label='MAE (mmpretrain)'),
    'ccmim': dict(
        config=_BENCH + 'ccmim_vit-tiny-p4_1xb256-coslr-5e_cifar10.py',
        options=[], label='ccMIM'),
    'unissl': dict(
        config=_BENCH + 'unissl_vit-tiny-p4_1xb256-coslr-5e_cifar10.py',
        options=[], label='Uni-SSL'),
    'random': dict(config=None, options=[], label='Random init'),
}
#: protocol -> its config, the logged metric and the table's column name
PROTOCOLS = {
    'lin': dict(
        config=_BENCH + 'vit-tiny-p4_linear-probe_1xb256-lars-3e_cifar10.py',
        metric='accuracy/top1', column='LIN'),
    'att': dict(
        config=_BENCH +
        'vit-tiny-p4_attentive-probe_1xb256-sgd-2e_cifar10.py',
        metric='accuracy/top1', column='ATT'),
    'ft': dict(
        config=_BENCH + 'vit-tiny-p4_finetune_1xb128-2e_cifar10.py',
        metric='accuracy/top1', column='FT'),
    'knn': dict(
        config=_BENCH + 'vit-tiny-p4_linear-probe_1xb256-lars-3e_cifar10.py',
        metric='top1', column='k-NN'),
    'camvid': dict(
        config=_BENCH +
        'upernet_vit-tiny-p4_1xb8-300i_camvid-96x128.py',
        metric='mIoU', column='CamVid mIoU'),
}
#: the cells run with several seeds by default (the issue's minimum: CAE
#: vs random on LIN and CamVid); every other cell runs seed 0
MULTI_SEED = dict(methods=('cae', 'random'), protocols=('lin', 'camvid'),
                  seeds=(0, 1, 2))


@dataclass
class ProtocolSettings:
    """What the protocol runs and where.

    Args:
        work_dir (str): its work dir (absolute).
        cifar_root (str): CIFAR-10 (image folders or the python format).
        camvid_root (str): CamVid in the SegNet layout.
        methods (list[str]): keys of :data:`METHODS`.
        protocols (list[str]): keys of :data:`PROTOCOLS`.
        seeds (list[int], optional): only these evaluation seeds (default:
            seed 0 everywhere plus :data:`MULTI_SEED`).
        pretrain_seed (int): the pretraining seed. Defaults to 0.
        jobs (int): processes at a time. Defaults to 2.
        threads (int): OpenMP threads of each. Defaults to 1.
        extra_options (list[str]): ``--cfg-options`` for every run (e.g. a
            shorter schedule in tests).
    """
    work_dir: str
    cifar_root: str
    camvid_root: str
    methods: List[str] = field(default_factory=lambda: list(METHODS))
    protocols: List[str] = field(default_factory=lambda: list(PROTOCOLS))
    seeds: Optional[List[int]] = None
    pretrain_seed: int = 0
    jobs: int = 2
    threads: int = 1
    extra_options: Dict[str, List[str]] = field(default_factory=dict)


def cell_seeds(method: str, protocol: str,
               settings: ProtocolSettings) -> List[int]:
    """The evaluation seeds of one cell: 0, or :data:`MULTI_SEED`'s for its
    cells; ``settings.seeds`` keeps only those (and may add seeds to the
    multi-seed cells)."""
    multi = (method in MULTI_SEED['methods']
             and protocol in MULTI_SEED['protocols'])
    if settings.seeds is None:
        return list(MULTI_SEED['seeds']) if multi else [0]
    return [s for s in settings.seeds if multi or s == 0]


def data_options(protocol: str, settings: ProtocolSettings) -> List[str]:
    """``--cfg-options`` that point a run at the data."""
    if protocol == 'camvid':
        return [f'{loader}.dataset.data_root={settings.camvid_root}'
                for loader in ('train_dataloader', 'val_dataloader',
                               'test_dataloader')]
    if protocol == 'pretrain':
        return [f'train_dataloader.dataset.data_root={settings.cifar_root}']
    return [f'{loader}.dataset.data_root={settings.cifar_root}'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')]


def _result_path(settings: ProtocolSettings, name: str) -> str:
    return osp.join(settings.work_dir, 'results', name + '.json')


def read_metric(step: Step, metric: str) -> float:
    """The metric of a finished run: ``knn.json`` for k-NN, otherwise the
    last validation record of its newest ``scalars.json``."""
    if metric == 'top1':
        with open(osp.join(step.work_dir, 'knn.json')) as f:
            return float(json.load(f)['top1'])
    for path in sorted(scalars_files(step.work_dir), reverse=True):
        record = last_val_record(path)
        if record and metric in record:
            from mmcae.utils.model_zoo import to_percent
            return float(to_percent(metric, record[metric]))
    raise RuntimeError(f'no {metric!r} in the scalars of {step.work_dir} '
                       f'(log: {step.log_path})')


def encoder_path(settings: ProtocolSettings, method: str) -> str:
    """The published encoder of ``method`` (its name carries its hash)."""
    found = glob.glob(
        osp.join(settings.work_dir, 'encoders',
                 f'{method}_vit-tiny-p4_cifar10_s{settings.pretrain_seed}'
                 '-*.pth'))
    if len(found) != 1:
        raise RuntimeError(f'expected one published {method} encoder in '
                           f'{settings.work_dir}/encoders, found {found}')
    return found[0]


def build_steps(settings: ProtocolSettings) -> Dict[str, Step]:
    """The protocol's steps (those with a result file are ``DONE``)."""
    py = sys.executable
    logs = osp.join(settings.work_dir, 'logs')
    steps: Dict[str, Step] = {}
    pseed = settings.pretrain_seed

    def add(name: str, command: List[str], deps: List[str], label: str,
            work_dir: Optional[str], record: dict) -> Step:
        step = Step(name, command, osp.join(logs, name + '.log'), deps,
                    label=label, work_dir=work_dir)
        if 'tools/train.py' in command:  # epochs: the progress bar's unit
            options = command[command.index('--cfg-options') + 1:]
            step.max_epochs = train_schedule(command[2], options)[
                'max_epochs']
        step.record = record
        step.finish = lambda s: finish_step(s, settings)
        if osp.exists(_result_path(settings, name)):
            step.state = DONE
        steps[name] = step
        return step

    for method in settings.methods:
        config = METHODS[method]['config']
        if config is None:
            continue
        work_dir = osp.join(settings.work_dir, 'pretrain',
                            f'{method}_s{pseed}')
        command = [py, 'tools/train.py', config, '--work-dir', work_dir]
        if glob.glob(osp.join(work_dir, 'epoch_*.pth')):
            command.append('--resume')
        command += ['--cfg-options', f'randomness.seed={pseed}',
                    *data_options('pretrain', settings),
                    *settings.extra_options.get('pretrain', [])]
        pretrain = add(
            f'pretrain_{method}', command, [], f'pretrain {method}',
            work_dir,
            dict(kind='pretrain', method=method, seed=pseed, config=config))
        if pretrain.state != DONE:
            adopt_finished_pretraining(pretrain, settings)
        prefix = osp.join(settings.work_dir, 'encoders',
                          f'{method}_vit-tiny-p4_cifar10_s{pseed}')
        publish = add(
            f'publish_{method}', [
                py, 'tools/model_converters/publish_model.py', 'LAST',
                prefix, '--backbone-only'
            ], [f'pretrain_{method}'], f'publish {method}', None,
            dict(kind='publish', method=method, seed=pseed))
        publish.prepare = lambda s, m=method: _prepare_publish(s, settings,
                                                               m)

    for protocol in settings.protocols:
        spec = PROTOCOLS[protocol]
        for method in settings.methods:
            for seed in cell_seeds(method, protocol, settings):
                name = f'{protocol}_{method}_s{seed}'
                work_dir = osp.join(settings.work_dir, protocol,
                                    f'{method}_s{seed}')
                options = [f'randomness.seed={seed}',
                           *data_options(protocol, settings),
                           *METHODS[method]['options'],
                           *settings.extra_options.get(protocol, [])]
                deps = []
                if method == 'random':
                    options.append('model.backbone.init_cfg=None')
                else:
                    options.append(
                        'model.backbone.init_cfg.checkpoint=ENCODER')
                    deps = [f'publish_{method}']
                if protocol == 'knn':
                    command = [py, 'tools/analysis_tools/knn_eval.py',
                               spec['config'], '--work-dir', work_dir]
                else:
                    command = [py, 'tools/train.py', spec['config'],
                               '--work-dir', work_dir]
                step = add(name, command + ['--cfg-options', *options],
                           deps, f'{spec["column"]} {method} s{seed}',
                           work_dir,
                           dict(kind=protocol, method=method, seed=seed,
                                config=spec['config'],
                                metric=spec['metric']))
                if method != 'random':
                    step.prepare = lambda s, m=method: _prepare_eval(
                        s, settings, m)
    # longest first: pretraining, then the CamVid and fine-tuning runs
    costs = dict(pretrain=8, publish=0.1, lin=2, att=2, ft=3, knn=1,
                 camvid=3)
    for step in steps.values():
        step.cost = costs[step.record['kind']]
    return steps


def adopt_finished_pretraining(step: Step,
                               settings: ProtocolSettings) -> None:
    """Count a pretraining as done when its work dir already holds the
    final epoch's checkpoint (a run started by hand with the same command,
    or one whose result file was lost); its minutes then run from the
    work dir's first timestamp folder to that checkpoint."""
    options = step.command[step.command.index('--cfg-options') + 1:]
    epochs = train_schedule(step.record['config'], options)['max_epochs']
    final = osp.join(step.work_dir, f'epoch_{epochs}.pth')
    if not osp.exists(final):
        return
    starts = [
        time.mktime(time.strptime(osp.basename(d), '%Y%m%d_%H%M%S'))
        for d in glob.glob(osp.join(step.work_dir, '2*_*'))
        if osp.isdir(d)
    ]
    seconds = osp.getmtime(final) - min(starts) if starts else float('nan')
    step.seconds = seconds
    step.state = DONE
    record = dict(step.record, seconds=round(seconds, 1),
                  command=' '.join(step.command), log=None,
                  finished=time.strftime(
                      '%Y-%m-%d %H:%M:%S',
                      time.localtime(osp.getmtime(final))),
                  note='adopted: run before this command, from its work dir')
    write_json(_result_path(settings, step.name), record)


def _prepare_publish(step: Step, settings: ProtocolSettings,
                     method: str) -> None:
    with open(osp.join(steps_work_dir(settings, method),
                       'last_checkpoint')) as f:
        last = f.read().strip()
    step.command = [last if c == 'LAST' else c for c in step.command]
    for old in glob.glob(step.command[-2] + '-*.pth'):
        os.remove(old)  # an unfinished earlier publish: its hash differs


def steps_work_dir(settings: ProtocolSettings, method: str) -> str:
    return osp.join(settings.work_dir, 'pretrain',
                    f'{method}_s{settings.pretrain_seed}')


def _prepare_eval(step: Step, settings: ProtocolSettings,
                  method: str) -> None:
    encoder = encoder_path(settings, method)
    step.command = [
        f'model.backbone.init_cfg.checkpoint={encoder}'
        if c == 'model.backbone.init_cfg.checkpoint=ENCODER' else c
        for c in step.command
    ]
    step.record['encoder'] = encoder


def finish_step(step: Step, settings: ProtocolSettings) -> None:
    """Record a finished step's result (its number, time and command)."""
    record = dict(step.record, seconds=round(step.seconds, 1),
                  command=' '.join(step.command), log=step.log_path,
                  finished=time.strftime('%Y-%m-%d %H:%M:%S'))
    kind = record['kind']
    if kind == 'publish':
        record['encoder'] = encoder_path(settings, record['method'])
        from mmcae.checkpoint.publish import file_sha256
        record['sha256'] = file_sha256(record['encoder'])
        record['bytes'] = osp.getsize(record['encoder'])
    elif kind != 'pretrain':
        record['value'] = round(read_metric(step, record['metric']), 2)
    write_json(_result_path(settings, step.name), record)


def load_results(settings: ProtocolSettings) -> Dict[str, dict]:
    """Every recorded result of the work dir, by step name."""
    results = {}
    for path in sorted(glob.glob(
            osp.join(settings.work_dir, 'results', '*.json'))):
        with open(path) as f:
            results[osp.basename(path)[:-5]] = json.load(f)
    return results


def summarize(values: Sequence[float]) -> dict:
    """Mean, sample standard deviation (0 for one value) and range."""
    values = list(values)
    return dict(
        n=len(values), mean=statistics.fmean(values),
        std=statistics.stdev(values) if len(values) > 1 else 0.,
        min=min(values), max=max(values))


def format_cell(cell: Optional[dict]) -> str:
    """'57.31' or '57.31 ± 0.42 (3)' (mean ± sample std, seeds)."""
    if not cell:
        return '—'
    if cell['n'] == 1:
        return format_number(cell['mean'])
    return (f'{format_number(cell["mean"])} ± '
            f'{format_number(cell["std"])} ({cell["n"]})')


def build_table(results: Dict[str, dict],
                methods: Sequence[str] = tuple(METHODS),
                protocols: Sequence[str] = tuple(PROTOCOLS)) -> dict:
    """Per method: each protocol's mean / std over seeds, the pretraining
    minutes and the evaluation minutes."""
    rows = []
    for method in methods:
        row = dict(method=method, label=METHODS[method]['label'], cells={},
                   pretrain_minutes=None, eval_minutes=0.)
        pre = results.get(f'pretrain_{method}')
        if pre:
            row['pretrain_minutes'] = round(pre['seconds'] / 60, 1)
        for protocol in protocols:
            found = [r for r in results.values()
                     if r['kind'] == protocol and r['method'] == method]
            if found:
                row['cells'][protocol] = dict(
                    summarize([r['value'] for r in found]),
                    seeds=sorted(r['seed'] for r in found))
                row['eval_minutes'] += sum(r['seconds'] for r in found) / 60
        row['eval_minutes'] = round(row['eval_minutes'], 1)
        rows.append(row)
    return dict(rows=rows, protocols=list(protocols))


def table_markdown(table: dict) -> str:
    """The table as markdown: one row per method."""
    protocols = table['protocols']
    header = ['method'] + [PROTOCOLS[p]['column'] for p in protocols] + [
        'pretrain min', 'eval min']
    rows = []
    for row in table['rows']:
        rows.append([row['label']] + [
            format_cell(row['cells'].get(p)) for p in protocols
        ] + [format_number(row['pretrain_minutes'], '.1f')
             if row['pretrain_minutes'] is not None else '—',
             format_number(row['eval_minutes'], '.1f')])
    return markdown_table(header, rows)


def run_protocol(settings: ProtocolSettings, dry_run: bool = False) -> int:
    """Run what is not done yet, print the table, write
    ``WORK_DIR/results.{json,md}``.

    Returns:
        int: 0 when every step finished, 1 otherwise.
    """
    started = time.perf_counter()
    os.makedirs(settings.work_dir, exist_ok=True)
    steps = build_steps(settings)
    todo = [s for s in steps.values() if s.state != DONE]
    print(f'small-scale protocol: {len(steps)} steps, {len(todo)} to run '
          f'({len(steps) - len(todo)} done before), work dir '
          f'{settings.work_dir}, {settings.jobs} jobs x {settings.threads} '
          'thread(s)', flush=True)
    if dry_run:
        for step in steps.values():
            print(f'  {step.state:>8}  {step.name}')
        return 0
    run_steps(steps, settings.jobs, settings.threads,
              title='small-scale protocol')
    table = build_table(load_results(settings), settings.methods,
                        settings.protocols)
    text = table_markdown(table)
    print('\n' + text)
    failed = {s.name: s.log_path for s in steps.values()
              if s.state in (FAILED, SKIPPED)}
    write_json(osp.join(settings.work_dir, 'results.json'),
               dict(table, failed=failed,
                    seconds=round(time.perf_counter() - started, 1)))
    with open(osp.join(settings.work_dir, 'results.md'), 'w') as f:
        f.write(text + '\n')
    if failed:
        print('\nFailed or skipped steps (logs):\n' + '\n'.join(
            f'  {name}: {log}' for name, log in failed.items()))
    print(f'\nresults: {settings.work_dir}/results.{{json,md}}')
    return 1 if failed else 0


__all__ = [
    'METHODS', 'PROTOCOLS', 'MULTI_SEED', 'ProtocolSettings', 'build_steps',
    'build_table', 'table_markdown', 'load_results', 'run_protocol',
    'summarize', 'format_cell'
]
