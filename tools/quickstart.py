#!/usr/bin/env python
"""The mmcae quickstart: the whole story on the demo data, on any machine.

    bash tools/quickstart.sh [--tiny] [--work-dir work_dirs/quickstart]
        [--data-root data/demo] [--jobs N]

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
soon as what it needs exists, longest remaining chain first; the random
encoder's runs overlap the pretraining. Steps run on the GPU when torch
sees one. ``--tiny`` (the test's mode) runs the same steps on the 'small'
demo set for a few iterations each: it checks the pipeline, its numbers
mean nothing.

Exit status: 0 when every step finished, 1 otherwise (the table then
names the failed steps and their logs).
"""
import argparse
import glob
import json
import math
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'benchmark'))
from train_subprocess import loss_window, scalar_records  # noqa: E402

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
#: one-core minutes each step took on the 2-core development machine (full
#: mode); only the ORDER of the steps depends on them
COST = dict(data_imagenet=1.9, data_scenes=2.5, pretrain=4.1, publish=0.1,
            lin=2.0, att=1.2, seg=1.2, det=6.5)
#: the --tiny schedule: a few iterations of every step on the small set
TINY = dict(pretrain_epochs=2, probe_epochs=2, probe_batch=16, seg_iters=6,
            det_iters=6)
ENCODER_NAME = 'cae_vit-tiny-p8_quickstart'

_TRAIN_PROGRESS = (
    re.compile(r'Epoch\(train\)\s*\[(\d+)\]\[\s*(\d+)/(\d+)\]'),
    re.compile(r'Iter\(train\)\s*\[\s*(\d+)/(\d+)\]'),
)
_VAL_PROGRESS = re.compile(r'Iter\((?:val|test)\)\s*\[\s*(\d+)/(\d+)\]')


class Step:
    """One command of the quickstart, with what it needs and its progress.

    Args:
        name (str): its id (also its log's name).
        label (str): what the progress bar calls it.
        command (list[str]): the command line.
        log_path (str): where stdout and stderr go.
        deps (list[str]): steps that must have finished first.
        cost (float): its estimated one-core minutes (scheduling order).
        work_dir (str, optional): its tools/train.py work dir.
        max_epochs (int, optional): an epoch-based run's length, to turn
            its log lines into a fraction done.
    """

    def __init__(self, name: str, label: str, command: List[str],
                 log_path: str, deps: List[str], cost: float,
                 work_dir: Optional[str] = None,
                 max_epochs: Optional[int] = None):
        self.name = name
        self.label = label
        self.command = command
        self.log_path = log_path
        self.deps = deps
        self.cost = cost
        self.work_dir = work_dir
        self.max_epochs = max_epochs
        self.process: Optional[subprocess.Popen] = None
        self.state = 'waiting'  # running, done, failed, skipped
        self.started = self.seconds = 0.
        self._log_offset = 0
        self.fraction = 0.

    def start(self, threads: int) -> None:
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            [REPO_ROOT, env.get('PYTHONPATH', '')]).rstrip(os.pathsep)
        for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
            env[var] = str(threads)
        os.makedirs(osp.dirname(self.log_path), exist_ok=True)
        with open(self.log_path, 'w') as log:
            log.write('$ ' + ' '.join(self.command) + '\n')
            log.flush()
            self.process = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT)
        self.state = 'running'
        self.started = time.perf_counter()

    def poll(self) -> bool:
        """Update the state and the fraction done; True once it ended."""
        self._read_progress()
        code = self.process.poll()
        if code is None:
            return False
        self.seconds = time.perf_counter() - self.started
        self.state = 'done' if code == 0 else 'failed'
        if code == 0:
            self.fraction = 1.
        return True

    def _read_progress(self) -> None:
        try:
            with open(self.log_path, errors='replace') as log:
                log.seek(self._log_offset)
                text = log.read()
                self._log_offset = log.tell()
        except OSError:
            return
        for line in text.splitlines():
            match = _TRAIN_PROGRESS[0].search(line)
            if match and self.max_epochs:
                epoch, step, per_epoch = (int(g) for g in match.groups())
                self.fraction = 0.95 * ((epoch - 1) * per_epoch + step) / (
                    self.max_epochs * per_epoch)
                continue
            match = _TRAIN_PROGRESS[1].search(line)
            if match:
                step, total = (int(g) for g in match.groups())
                self.fraction = 0.9 * step / total
                continue
            match = _VAL_PROGRESS.search(line)
            if match:
                step, total = (int(g) for g in match.groups())
                self.fraction = max(self.fraction, 0.9 + 0.1 * step / total)

    def log_tail(self, lines: int = 15) -> str:
        with open(self.log_path, errors='replace') as log:
            return ''.join(log.readlines()[-lines:])


def schedule_options(kind: str, args: argparse.Namespace) -> List[str]:
    """``--cfg-options`` of a step: the data it reads, and in --tiny mode
    the shrunk schedule."""
    data = args.data_root
    if kind in ('pretrain', 'lin', 'att'):
        loaders = ['train_dataloader'] if kind == 'pretrain' else [
            'train_dataloader', 'val_dataloader', 'test_dataloader']
        options = [f'{loader}.dataset.data_root={data}/imagenet'
                   for loader in loaders]
    elif kind == 'seg':
        options = [f'{loader}.dataset.data_root={data}/ade20k' for loader in
                   ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    else:
        coco = f'{data}/coco/'
        options = [f'{loader}.dataset.data_root={coco}' for loader in
                   ('train_dataloader', 'val_dataloader', 'test_dataloader')]
        options += [
            f'{evaluator}.ann_file={coco}annotations/instances_val2017.json'
            for evaluator in ('val_evaluator', 'test_evaluator')
        ]
    options.append(f'randomness.seed={args.seed}')
    if not args.tiny:
        return options
    if kind == 'pretrain':
        epochs = TINY['pretrain_epochs']
        options += [
            f'train_cfg.max_epochs={epochs}',
            f'param_scheduler.1.T_max={epochs - 1}',
            f'param_scheduler.1.end={epochs}',
            f'default_hooks.checkpoint.interval={epochs}',
            'default_hooks.logger.interval=1',
            f'train_dataloader.batch_size={TINY["probe_batch"]}',
        ]
    elif kind in ('lin', 'att'):
        epochs = TINY['probe_epochs']
        options += [
            f'train_cfg.max_epochs={epochs}',
            f'train_cfg.val_interval={epochs}',
            'param_scheduler.0.end=1', 'param_scheduler.1.begin=1',
            f'param_scheduler.1.end={epochs}',
            f'param_scheduler.1.T_max={epochs - 1}',
            f'default_hooks.checkpoint.interval={epochs}',
            'default_hooks.logger.interval=1',
            f'train_dataloader.batch_size={TINY["probe_batch"]}',
        ]
    else:
        iters = TINY[f'{kind}_iters']
        options += [
            f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            'param_scheduler.0.end=2',
            f'default_hooks.checkpoint.interval={iters}',
            'default_hooks.logger.interval=1',
        ]
        if kind == 'seg':
            options += ['param_scheduler.1.begin=2',
                        f'param_scheduler.1.end={iters}']
        else:
            options += [f'param_scheduler.1.end={iters}',
                        f'param_scheduler.1.milestones=[{iters - 2},'
                        f'{iters - 1}]']
    return options


def max_epochs_of(config: str, options: List[str]) -> Optional[int]:
    """An epoch-based config's length after ``options`` (None: by
    iterations)."""
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    parsed = {}
    for option in options:
        if option.startswith('train_cfg.'):
            key, value = option.split('=', 1)
            parsed[key] = DictAction._parse_iterable(value)
    cfg.merge_from_dict(parsed)
    return cfg.train_cfg.get('max_epochs') if cfg.train_cfg.get(
        'type', 'EpochBasedTrainLoop') == 'EpochBasedTrainLoop' else None


def build_steps(args: argparse.Namespace) -> Dict[str, Step]:
    """The quickstart's steps, keyed by name."""
    py = sys.executable
    logs = osp.join(args.work_dir, 'logs')
    steps: Dict[str, Step] = {}
    size = 'small' if args.tiny else 'medium'
    for demo_set in ('imagenet', 'scenes'):
        name = f'data_{demo_set}'
        steps[name] = Step(
            name, f'demo data: {demo_set}', [
                py, 'tools/misc/make_demo_data.py', '--out', args.data_root,
                '--size', size, '--sets', demo_set, '--skip-complete'
            ], osp.join(logs, name + '.log'), [], COST[name])

    def train_step(name: str, kind: str, label: str, deps: List[str],
                   extra: List[str]) -> None:
        work_dir = osp.join(args.work_dir, name)
        options = schedule_options(kind, args) + extra
        steps[name] = Step(
            name, label, [
                py, 'tools/train.py', CONFIGS[kind], '--work-dir', work_dir,
                '--cfg-options', *options
            ], osp.join(logs, name + '.log'), deps, COST[kind], work_dir,
            max_epochs_of(CONFIGS[kind], options))

    train_step('pretrain', 'pretrain', 'CAE pretraining', ['data_imagenet'],
               [])
    pretrain_dir = osp.join(args.work_dir, 'pretrain')
    steps['publish'] = Step(
        'publish', 'publish the encoder', [
            py, 'tools/model_converters/publish_model.py',
            osp.join(pretrain_dir, 'PLACEHOLDER'),
            osp.join(args.work_dir, 'encoder', ENCODER_NAME),
            '--backbone-only'
        ], osp.join(logs, 'publish.log'), ['pretrain'], COST['publish'])
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
    return steps


def resolve_placeholders(step: Step, args: argparse.Namespace) -> None:
    """Fill in the paths known only once the steps before have run: the
    pretraining's last checkpoint and the published encoder."""
    if step.name == 'publish':
        last = osp.join(args.work_dir, 'pretrain', 'last_checkpoint')
        with open(last) as f:
            checkpoint = f.read().strip()
        step.command = [
            checkpoint if c.endswith('PLACEHOLDER') else c
            for c in step.command
        ]
        for old in glob.glob(
                osp.join(args.work_dir, 'encoder', ENCODER_NAME + '-*.pth')):
            os.remove(old)  # a previous run's encoder: its hash differs
    elif step.command[-1].endswith('checkpoint=ENCODER'):
        step.command[-1] = ('model.backbone.init_cfg.checkpoint=' +
                            published_encoder(args))


def published_encoder(args: argparse.Namespace) -> str:
    found = glob.glob(
        osp.join(args.work_dir, 'encoder', ENCODER_NAME + '-*.pth'))
    if len(found) != 1:
        raise RuntimeError(f'expected one published encoder in '
                           f'{args.work_dir}/encoder, found {found}')
    return found[0]


def critical_path(steps: Dict[str, Step]) -> Dict[str, float]:
    """Each step's cost plus the longest chain of steps that need it."""
    memo: Dict[str, float] = {}

    def chain(name: str) -> float:
        if name not in memo:
            after = [chain(s.name) for s in steps.values() if name in s.deps]
            memo[name] = steps[name].cost + max(after, default=0.)
        return memo[name]

    return {name: chain(name) for name in steps}


def run_steps(steps: Dict[str, Step], args: argparse.Namespace) -> None:
    """Run the steps on ``args.jobs`` processes with progress bars."""
    from rich.progress import (BarColumn, Progress, TaskProgressColumn,
                               TextColumn, TimeElapsedColumn)
    priority = critical_path(steps)
    progress = Progress(
        TextColumn('{task.description:<34}'), BarColumn(),
        TaskProgressColumn(), TimeElapsedColumn(),
        TextColumn('{task.fields[state]}'), refresh_per_second=2)
    bars = {
        name: progress.add_task(step.label, total=1., state='waiting',
                                start=False)
        for name, step in steps.items()
    }
    overall = progress.add_task('[bold]quickstart', total=len(steps),
                                state='')
    console = progress.console
    last_status = time.perf_counter()
    with progress:
        while any(s.state in ('waiting', 'running') for s in steps.values()):
            for step in steps.values():
                if step.state == 'running' and step.poll():
                    progress.update(bars[step.name], completed=step.fraction,
                                    state=step.state)
                    progress.stop_task(bars[step.name])
                    progress.advance(overall)
                    minutes = step.seconds / 60
                    console.print(
                        f'{step.state:>6}  {step.label} ({minutes:.1f} min) '
                        f'log: {step.log_path}', soft_wrap=True)
                    if step.state == 'failed':
                        console.print(step.log_tail())
                elif step.state == 'running':
                    progress.update(bars[step.name], completed=step.fraction)
                elif step.state == 'waiting' and any(
                        steps[d].state in ('failed', 'skipped')
                        for d in step.deps):
                    step.state = 'skipped'
                    progress.update(bars[step.name], state='skipped')
                    progress.advance(overall)
            running = sum(s.state == 'running' for s in steps.values())
            ready = sorted(
                (s for s in steps.values() if s.state == 'waiting' and all(
                    steps[d].state == 'done' for d in s.deps)),
                key=lambda s: -priority[s.name])
            for step in ready[:max(0, args.jobs - running)]:
                try:
                    resolve_placeholders(step, args)
                except (OSError, RuntimeError) as err:
                    step.state = 'failed'
                    console.print(f'failed  {step.label}: {err}')
                    progress.advance(overall)
                    continue
                step.start(args.threads)
                progress.start_task(bars[step.name])
                progress.update(bars[step.name], state='running')
            if not console.is_terminal and \
                    time.perf_counter() - last_status > 60:
                last_status = time.perf_counter()
                console.print('  ' + ', '.join(
                    f'{s.label} {100 * s.fraction:.0f}%'
                    for s in steps.values() if s.state == 'running'),
                    soft_wrap=True)
            time.sleep(0.5)


def collect(steps: Dict[str, Step], args: argparse.Namespace,
            seconds: float) -> dict:
    """The numbers of the finished runs, in the results-JSON layout."""
    from mmcae.utils.model_zoo import to_percent
    pretrain = dict(config=CONFIGS['pretrain'], seconds=round(
        steps['pretrain'].seconds, 1))
    if steps['pretrain'].state == 'done':
        records = scalar_records(steps['pretrain'].work_dir)
        losses = [r['loss'] for r in records if 'loss' in r]
        pretrain.update(loss_window(records), epochs=max(
            r.get('epoch', 0) for r in records), logged_losses=len(losses))
    rows = []
    metrics = [('lin', 'accuracy/top1', 'top-1 %'),
               ('att', 'accuracy/top1', 'top-1 %'),
               ('seg', 'mIoU', 'mIoU %'),
               ('det', 'coco/bbox_mAP', 'box AP'),
               ('det', 'coco/segm_mAP', 'mask AP')]
    for kind, key, unit in metrics:
        task = TASK_NAMES[kind]
        if kind == 'det':
            task = f'Mask R-CNN {unit.split()[0]} (demo COCO)'
        row = dict(task=task, metric=key, unit=unit, config=CONFIGS[kind])
        for init in ('pretrained', 'random'):
            step = steps[f'{kind}_{init}']
            value = math.nan
            if step.state == 'done':
                found = [r[key] for r in scalar_records(step.work_dir)
                         if key in r]
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
        mode='tiny' if args.tiny else 'full', device=device,
        jobs=args.jobs, threads_per_job=args.threads, seed=args.seed,
        data_root=args.data_root, work_dir=args.work_dir,
        total_seconds=round(seconds, 1),
        encoder=(published_encoder(args)
                 if steps['publish'].state == 'done' else None),
        pretrain=pretrain, rows=rows,
        failed={s.name: s.log_path for s in steps.values()
                if s.state in ('failed', 'skipped')})


def _fmt(value: float) -> str:
    return 'n/a' if not math.isfinite(value) else f'{value:.2f}'


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
        '| task | metric | pretrained | random | difference |',
        '|---|---|---|---|---|',
    ]
    for row in results['rows']:
        diff = row['pretrained'] - row['random']
        lines.append(
            f'| {row["task"]} | {row["unit"]} | {_fmt(row["pretrained"])} | '
            f'{_fmt(row["random"])} | '
            f'{"n/a" if not math.isfinite(diff) else f"{diff:+.2f}"} |')
    if results['failed']:
        lines += ['', 'Failed or skipped steps (logs):'] + [
            f'  {name}: {log}' for name, log in results['failed'].items()
        ]
    return '\n'.join(lines)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
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
    cores = len(os.sched_getaffinity(0)) if hasattr(
        os, 'sched_getaffinity') else (os.cpu_count() or 1)
    args.jobs = args.jobs or max(1, min(cores, 4))
    if args.jobs < 1:
        parser.error('--jobs must be >= 1')
    args.threads = max(1, cores // args.jobs)
    args.work_dir = osp.abspath(args.work_dir)
    args.data_root = osp.abspath(args.data_root)
    if args.tiny and args.data_root == osp.abspath('data/demo'):
        args.data_root = osp.abspath('data/demo_small')
    return args


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    os.makedirs(args.work_dir, exist_ok=True)
    shutil.rmtree(osp.join(args.work_dir, 'logs'), ignore_errors=True)
    print(f'mmcae quickstart: work dir {args.work_dir}, demo data '
          f'{args.data_root}, {args.jobs} jobs x {args.threads} thread(s)'
          f'{" (tiny mode)" if args.tiny else ""}', flush=True)
    steps = build_steps(args)
    run_steps(steps, args)
    results = collect(steps, args, time.perf_counter() - started)
    table = results_table(results)
    print('\n' + table)
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(table + '\n')
    print(f'\nresults: {args.work_dir}/results.{{json,md}}')
    return 1 if results['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
