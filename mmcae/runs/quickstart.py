"""The quickstart's steps: demo data -> CAE pretraining -> published
encoder -> linear / attentive probe, UperNet and Mask R-CNN from it AND
from a random encoder -> one table (``bash tools/quickstart.sh``).

Every step is the user's own command (``tools/train.py CONFIG --work-dir
...``) in its own process with its log in ``WORK_DIR/logs/``, run by
:func:`mmcae.runs.scheduler.run_steps`: side by side on ``jobs``
processes, a step as soon as what it needs exists, longest remaining
chain first (the chains' lengths come from
:mod:`mmcae.runs.quickstart_costs`). The tiny mode runs the same steps on
the 'small' demo set for a few iterations each: it checks the pipeline,
its numbers mean nothing.
"""
import copy
import functools
import glob
import json
import math
import os
import os.path as osp
import shutil
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional

from .jobs import REPO_ROOT
from .quickstart_costs import estimate_costs, record_durations
from .scalars import loss_window, scalar_records, values
from .scheduler import DONE, FAILED, SKIPPED, Step, run_steps
from .tables import format_number, markdown_table

CONFIGS = {
    'pretrain': 'configs/quickstart/cae_vit-tiny-p8_1xb32-pixel-16e_'
    'quickstart-demo-in1k.py',
    'lin': 'configs/quickstart/vit-tiny-p8_linear-probe_1xb64-lars-20e_'
    'quickstart-demo-in1k.py',
    'att': 'configs/quickstart/vit-tiny-p8_attentive-probe_1xb64-sgd-10e_'
    'quickstart-demo-in1k.py',
    'seg': 'configs/quickstart/upernet_vit-tiny-p8_1xb4-100i_quickstart-'
    'demo-ade20k.py',
    'det': 'configs/quickstart/mask-rcnn_vit-tiny-p8_1xb4-200i_quickstart-'
    'demo-coco.py',
}
TASK_NAMES = {
    'lin': 'Linear probe (demo ImageNet)',
    'att': 'Attentive probe (demo ImageNet)',
    'seg': 'UperNet (demo ADE20K)',
    'det': 'Mask R-CNN (demo COCO)',
}
#: the tiny schedule: a few iterations of every step on the small set
TINY = dict(pretrain_epochs=2, probe_epochs=2, probe_batch=16, seg_iters=6,
            det_iters=6)
ENCODER_NAME = 'cae_vit-tiny-p8_quickstart'
#: (task kind, logged metric, unit) of the table's rows
METRICS = [('lin', 'accuracy/top1', 'top-1 %'),
           ('att', 'accuracy/top1', 'top-1 %'),
           ('seg', 'mIoU', 'mIoU %'),
           ('det', 'coco/bbox_mAP', 'box AP'),
           ('det', 'coco/segm_mAP', 'mask AP')]


@dataclass
class QuickstartSettings:
    """Where and how the quickstart runs.

    Args:
        work_dir (str): its work dir (absolute).
        data_root (str): the demo data (absolute; made there if absent).
        tiny (bool): the tiny mode (tests). Defaults to False.
        jobs (int): processes at a time. Defaults to 1.
        threads (int): OpenMP threads of each process. Defaults to 1.
        seed (int): ``randomness.seed`` of every run. Defaults to 0.
    """
    work_dir: str
    data_root: str
    tiny: bool = False
    jobs: int = 1
    threads: int = 1
    seed: int = 0

    @classmethod
    def resolve(cls,
                work_dir: str = 'work_dirs/quickstart',
                data_root: str = 'data/demo',
                tiny: bool = False,
                jobs: Optional[int] = None,
                seed: int = 0) -> 'QuickstartSettings':
        """Absolute paths; ``jobs`` defaults to one per core (at most 4),
        the cores shared out as threads; the tiny mode's data defaults to
        ``data/demo_small`` (the small set must not overwrite the
        medium one)."""
        cores = len(os.sched_getaffinity(0)) if hasattr(
            os, 'sched_getaffinity') else (os.cpu_count() or 1)
        jobs = jobs or max(1, min(cores, 4))
        data_root = osp.abspath(data_root)
        if tiny and data_root == osp.abspath('data/demo'):
            data_root = osp.abspath('data/demo_small')
        return cls(
            work_dir=osp.abspath(work_dir), data_root=data_root, tiny=tiny,
            jobs=jobs, threads=max(1, cores // jobs), seed=seed)

    @property
    def mode(self) -> str:
        return 'tiny' if self.tiny else 'full'

    @property
    def data_size(self) -> str:
        """The demo data size (:data:`mmcae.datasets.demo.SIZES`)."""
        return 'small' if self.tiny else 'medium'


def data_options(kind: str, settings: QuickstartSettings) -> List[str]:
    """``--cfg-options`` that point a step at the demo data."""
    data = settings.data_root
    if kind in ('pretrain', 'lin', 'att'):
        loaders = ['train_dataloader'] if kind == 'pretrain' else [
            'train_dataloader', 'val_dataloader', 'test_dataloader']
        return [f'{loader}.dataset.data_root={data}/imagenet'
                for loader in loaders]
    if kind == 'seg':
        return [f'{loader}.dataset.data_root={data}/ade20k' for loader in
                ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    coco = f'{data}/coco/'
    options = [f'{loader}.dataset.data_root={coco}' for loader in
               ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    return options + [
        f'{evaluator}.ann_file={coco}annotations/instances_val2017.json'
        for evaluator in ('val_evaluator', 'test_evaluator')
    ]


def tiny_options(kind: str) -> List[str]:
    """``--cfg-options`` that shrink a step's schedule to :data:`TINY`."""
    if kind == 'pretrain':
        epochs = TINY['pretrain_epochs']
        return [
            f'train_cfg.max_epochs={epochs}',
            f'param_scheduler.1.T_max={epochs - 1}',
            f'param_scheduler.1.end={epochs}',
            f'default_hooks.checkpoint.interval={epochs}',
            'default_hooks.logger.interval=1',
            f'train_dataloader.batch_size={TINY["probe_batch"]}',
        ]
    if kind in ('lin', 'att'):
        epochs = TINY['probe_epochs']
        return [
            f'train_cfg.max_epochs={epochs}',
            f'train_cfg.val_interval={epochs}',
            'param_scheduler.0.end=1', 'param_scheduler.1.begin=1',
            f'param_scheduler.1.end={epochs}',
            f'param_scheduler.1.T_max={epochs - 1}',
            f'default_hooks.checkpoint.interval={epochs}',
            'default_hooks.logger.interval=1',
            f'train_dataloader.batch_size={TINY["probe_batch"]}',
        ]
    iters = TINY[f'{kind}_iters']
    options = [
        f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
        'param_scheduler.0.end=2',
        f'default_hooks.checkpoint.interval={iters}',
        'default_hooks.logger.interval=1',
    ]
    if kind == 'seg':
        return options + ['param_scheduler.1.begin=2',
                          f'param_scheduler.1.end={iters}']
    return options + [f'param_scheduler.1.end={iters}',
                      f'param_scheduler.1.milestones=[{iters - 2},'
                      f'{iters - 1}]']


def schedule_options(kind: str, settings: QuickstartSettings) -> List[str]:
    """``--cfg-options`` of a step: the data it reads, the seed, and in the
    tiny mode the shrunk schedule."""
    options = data_options(kind, settings)
    options.append(f'randomness.seed={settings.seed}')
    if settings.tiny:
        options += tiny_options(kind)
    return options


@functools.lru_cache(maxsize=None)
def _load_config(config: str):
    """A config as written (every step of a kind shares it)."""
    from mmengine.config import Config
    return Config.fromfile(osp.join(REPO_ROOT, config))


def train_schedule(config: str, options: List[str]) -> dict:
    """A config's training length after ``options``: ``max_epochs`` (None
    for an iteration-based loop), ``max_iters`` (None for an epoch-based
    one) and the train ``batch_size``."""
    from mmengine.config import DictAction
    cfg = copy.deepcopy(_load_config(config))
    parsed = {}
    for option in options:
        if option.startswith(('train_cfg.', 'train_dataloader.batch_size')):
            key, value = option.split('=', 1)
            parsed[key] = DictAction._parse_iterable(value)
    cfg.merge_from_dict(parsed)
    loop = cfg.train_cfg.get('type', 'EpochBasedTrainLoop')
    by_epoch = loop == 'EpochBasedTrainLoop'
    return dict(
        max_epochs=cfg.train_cfg.get('max_epochs') if by_epoch else None,
        max_iters=None if by_epoch else cfg.train_cfg.get('max_iters'),
        batch_size=cfg.train_dataloader.batch_size)


def build_steps(settings: QuickstartSettings) -> Dict[str, Step]:
    """The quickstart's steps, keyed by name, with their estimated costs
    (:func:`mmcae.runs.quickstart_costs.estimate_costs`)."""
    py = sys.executable
    logs = osp.join(settings.work_dir, 'logs')
    steps: Dict[str, Step] = {}
    for demo_set in ('imagenet', 'scenes'):
        name = f'data_{demo_set}'
        steps[name] = Step(
            name, [
                py, 'tools/misc/make_demo_data.py', '--out',
                settings.data_root, '--size', settings.data_size, '--sets',
                demo_set, '--skip-complete'
            ], osp.join(logs, name + '.log'), label=f'demo data: {demo_set}')

    schedules = {}

    def train_step(name: str, kind: str, label: str, deps: List[str],
                   extra: List[str]) -> None:
        work_dir = osp.join(settings.work_dir, name)
        options = schedule_options(kind, settings) + extra
        schedules[name] = train_schedule(CONFIGS[kind], options)
        steps[name] = Step(
            name, [
                py, 'tools/train.py', CONFIGS[kind], '--work-dir', work_dir,
                '--cfg-options', *options
            ], osp.join(logs, name + '.log'), deps, label=label,
            work_dir=work_dir, max_epochs=schedules[name]['max_epochs'])

    train_step('pretrain', 'pretrain', 'CAE pretraining', ['data_imagenet'],
               [])
    pretrain_dir = osp.join(settings.work_dir, 'pretrain')
    steps['publish'] = Step(
        'publish', [
            py, 'tools/model_converters/publish_model.py',
            osp.join(pretrain_dir, 'PLACEHOLDER'),
            osp.join(settings.work_dir, 'encoder', ENCODER_NAME),
            '--backbone-only'
        ], osp.join(logs, 'publish.log'), ['pretrain'],
        label='publish the encoder')
    for kind in ('lin', 'att', 'seg', 'det'):
        data = 'data_imagenet' if kind in ('lin', 'att') else 'data_scenes'
        for init in ('random', 'pretrained'):
            extra = ['model.backbone.init_cfg=None']
            deps = [data]
            if init == 'pretrained':
                extra = [
                    'model.backbone.init_cfg._delete_=True',
                    'model.backbone.init_cfg.type=Pretrained',
                    'model.backbone.init_cfg.checkpoint=ENCODER'
                ]
                deps = [data, 'publish']
            train_step(f'{kind}_{init}', kind,
                       f'{TASK_NAMES[kind].split(" (")[0]}, {init}', deps,
                       extra)
    for step in steps.values():
        step.prepare = lambda step: resolve_placeholders(step, settings)
    for name, cost in estimate_costs(steps, schedules, settings).items():
        steps[name].cost = cost
    return steps


def resolve_placeholders(step: Step, settings: QuickstartSettings) -> None:
    """Fill in the paths known only once the steps before have run: the
    pretraining's last checkpoint and the published encoder."""
    if step.name == 'publish':
        last = osp.join(settings.work_dir, 'pretrain', 'last_checkpoint')
        with open(last) as f:
            checkpoint = f.read().strip()
        step.command = [
            checkpoint if c.endswith('PLACEHOLDER') else c
            for c in step.command
        ]
        for old in glob.glob(
                osp.join(settings.work_dir, 'encoder',
                         ENCODER_NAME + '-*.pth')):
            os.remove(old)  # a previous run's encoder: its hash differs
    elif step.command[-1].endswith('checkpoint=ENCODER'):
        step.command[-1] = ('model.backbone.init_cfg.checkpoint=' +
                            published_encoder(settings))


def published_encoder(settings: QuickstartSettings) -> str:
    """The encoder the publish step wrote (its name carries its hash)."""
    found = glob.glob(
        osp.join(settings.work_dir, 'encoder', ENCODER_NAME + '-*.pth'))
    if len(found) != 1:
        raise RuntimeError(f'expected one published encoder in '
                           f'{settings.work_dir}/encoder, found {found}')
    return found[0]


def collect(steps: Dict[str, Step], settings: QuickstartSettings,
            seconds: float) -> dict:
    """The numbers of the finished runs, in the results-JSON layout."""
    from mmcae.utils.model_zoo import to_percent
    pretrain = dict(config=CONFIGS['pretrain'], seconds=round(
        steps['pretrain'].seconds, 1))
    if steps['pretrain'].state == DONE:
        records = scalar_records(steps['pretrain'].work_dir)
        pretrain.update(loss_window(records), epochs=max(
            r.get('epoch', 0) for r in records),
            logged_losses=len(values(records, 'loss')))
    rows = []
    for kind, key, unit in METRICS:
        task = TASK_NAMES[kind]
        if kind == 'det':
            task = f'Mask R-CNN {unit.split()[0]} (demo COCO)'
        row = dict(task=task, metric=key, unit=unit, config=CONFIGS[kind])
        for init in ('pretrained', 'random'):
            step = steps[f'{kind}_{init}']
            value = math.nan
            if step.state == DONE:
                found = values(scalar_records(step.work_dir), key)
                value = round(to_percent(key, found[-1]), 2) if found \
                    else math.nan
            row[init] = value
            row[f'{init}_log'] = step.log_path
        rows.append(row)
    try:
        import torch
        device = 'cuda' if torch.cuda.is_available() else 'cpu'
    except ImportError:
        device = 'cpu'
    return dict(
        mode=settings.mode, device=device,
        jobs=settings.jobs, threads_per_job=settings.threads,
        seed=settings.seed, data_root=settings.data_root,
        work_dir=settings.work_dir, total_seconds=round(seconds, 1),
        encoder=(published_encoder(settings)
                 if steps['publish'].state == DONE else None),
        pretrain=pretrain, rows=rows,
        failed={s.name: s.log_path for s in steps.values()
                if s.state in (FAILED, SKIPPED)})


def results_table(results: dict) -> str:
    """The quickstart's table as markdown."""
    pre = results['pretrain']
    loss = (f'{pre["first_loss"]:.3f} -> {pre["last_loss"]:.3f}'
            if 'first_loss' in pre else 'n/a (pretraining failed)')
    lines = [
        f'mmcae quickstart ({results["mode"]} mode, {results["device"]}, '
        f'{results["jobs"]} jobs x {results["threads_per_job"]} thread(s)):'
        f' {results["total_seconds"] / 60:.1f} min in all',
        '',
        f'CAE pretraining ({pre["config"]}, {pre.get("epochs", "?")} epochs,'
        f' {pre["seconds"] / 60:.1f} min): loss {loss} (mean of the first '
        'and last tenth of the logged steps)',
        '',
    ]
    rows = [[
        row['task'], row['unit'],
        format_number(row['pretrained']),
        format_number(row['random']),
        format_number(row['pretrained'] - row['random'], sign=True)
    ] for row in results['rows']]
    lines.append(markdown_table(
        ['task', 'metric', 'pretrained', 'random', 'difference'], rows))
    if results['failed']:
        lines += ['', 'Failed or skipped steps (logs):'] + [
            f'  {name}: {log}' for name, log in results['failed'].items()
        ]
    return '\n'.join(lines)


def run_quickstart(settings: QuickstartSettings) -> int:
    """Run every step, print the table, write ``WORK_DIR/results.{json,md}``
    and the steps' durations (the next run's cost estimates).

    Returns:
        int: 0 when every step finished, 1 otherwise (the table then names
        the failed steps and their logs).
    """
    started = time.perf_counter()
    os.makedirs(settings.work_dir, exist_ok=True)
    shutil.rmtree(osp.join(settings.work_dir, 'logs'), ignore_errors=True)
    print(f'mmcae quickstart: work dir {settings.work_dir}, demo data '
          f'{settings.data_root}, {settings.jobs} jobs x {settings.threads} '
          f'thread(s){" (tiny mode)" if settings.tiny else ""}', flush=True)
    steps = build_steps(settings)
    run_steps(steps, settings.jobs, settings.threads, title='quickstart')
    record_durations(steps, settings)
    results = collect(steps, settings, time.perf_counter() - started)
    table = results_table(results)
    print('\n' + table)
    with open(osp.join(settings.work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    with open(osp.join(settings.work_dir, 'results.md'), 'w') as f:
        f.write(table + '\n')
    print(f'\nresults: {settings.work_dir}/results.{{json,md}}')
    return 1 if results['failed'] else 0


__all__ = [
    'CONFIGS', 'TASK_NAMES', 'TINY', 'ENCODER_NAME', 'QuickstartSettings',
    'build_steps', 'schedule_options', 'train_schedule', 'collect',
    'results_table', 'run_quickstart'
]
