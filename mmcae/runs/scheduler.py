"""Jobs that depend on each other, run on a few processes at a time with
progress bars: the quickstart's scheduler.

A step starts as soon as the steps it needs have finished and a process
slot is free; among the ready steps, the one with the longest remaining
chain of estimated cost goes first (critical-path list scheduling), so
the longest chain is never left waiting behind short side branches. A
step whose input failed is skipped. Progress is read from each step's
mmengine log (``Epoch(train) [e][i/n]``, ``Iter(train) [i/n]``,
``Iter(val) [i/n]``).

mmengine has no multi-job scheduler (its launchers start the ranks of one
run); a workflow engine (Snakemake, Airflow) would be a heavy dependency
for a dozen local commands.
"""
import re
import time
from typing import Callable, Dict, Optional, Sequence

from .jobs import Job

_EPOCH_TRAIN = re.compile(r'Epoch\(train\)\s*\[(\d+)\]\[\s*(\d+)/(\d+)\]')
_ITER_TRAIN = re.compile(r'Iter\(train\)\s*\[\s*(\d+)/(\d+)\]')
_ITER_VAL = re.compile(r'Iter\((?:val|test)\)\s*\[\s*(\d+)/(\d+)\]')

#: the states of a step
WAITING, RUNNING, DONE, FAILED, SKIPPED = ('waiting', 'running', 'done',
                                           'failed', 'skipped')


class Step(Job):
    """A job with the steps it needs, an estimated cost and its progress.

    Args:
        name (str): its id (also its log's name).
        command (list[str]): the command line.
        log_path (str): where stdout and stderr go.
        deps (list[str]): steps that must have finished first.
        cost (float): its estimated duration in seconds (only the order of
            the steps depends on it).
        label (str, optional): what the progress bar calls it.
        work_dir (str, optional): its tools/train.py work dir.
        max_epochs (int, optional): an epoch-based run's length, to turn
            its log lines into a fraction done.
        prepare (callable, optional): called with the step right before
            it starts, once its inputs exist (e.g. to fill in a path that
            a step before wrote); an ``OSError`` or ``RuntimeError`` from
            it fails the step.
        finish (callable, optional): called with the step once its command
            exited with status 0 (e.g. to read and record its result); an
            ``OSError``, ``RuntimeError``, ``KeyError`` or ``ValueError``
            from it fails the step.
        **kwargs: the other arguments of :class:`Job`.
    """

    def __init__(self,
                 name: str,
                 command: Sequence[str],
                 log_path: str,
                 deps: Sequence[str] = (),
                 cost: float = 1.,
                 label: Optional[str] = None,
                 work_dir: Optional[str] = None,
                 max_epochs: Optional[int] = None,
                 prepare: Optional[Callable[['Step'], None]] = None,
                 finish: Optional[Callable[['Step'], None]] = None,
                 **kwargs):
        super().__init__(name, command, log_path, label=label, **kwargs)
        self.deps = list(deps)
        self.cost = cost
        self.work_dir = work_dir
        self.max_epochs = max_epochs
        self.prepare = prepare
        self.finish = finish
        self.state = WAITING
        #: estimated fraction done, from its log
        self.fraction = 0.
        #: the work it does in its cost estimator's units (0: unknown)
        self.units = 0
        self._log_offset = 0

    def update(self) -> bool:
        """Read its progress and its state; True once it ended."""
        self.read_progress()
        code = self.poll()
        if code is None:
            return False
        self.state = DONE if code == 0 else FAILED
        if code == 0:
            self.fraction = 1.
        return True

    def read_progress(self) -> None:
        """Advance :attr:`fraction` with the log lines written since the
        last call: training is the first 95 % (epoch-based, known length)
        or 90 % (iteration-based), validation the rest."""
        try:
            with open(self.log_path, errors='replace') as log:
                log.seek(self._log_offset)
                text = log.read()
                self._log_offset = log.tell()
        except OSError:
            return
        for line in text.splitlines():
            match = _EPOCH_TRAIN.search(line)
            if match and self.max_epochs:
                epoch, step, per_epoch = (int(g) for g in match.groups())
                self.fraction = 0.95 * ((epoch - 1) * per_epoch + step) / (
                    self.max_epochs * per_epoch)
                continue
            match = _ITER_TRAIN.search(line)
            if match:
                step, total = (int(g) for g in match.groups())
                self.fraction = 0.9 * step / total
                continue
            match = _ITER_VAL.search(line)
            if match:
                step, total = (int(g) for g in match.groups())
                self.fraction = max(self.fraction, 0.9 + 0.1 * step / total)


def critical_path(steps: Dict[str, Step]) -> Dict[str, float]:
    """Each step's cost plus the longest chain of steps that need it."""
    memo: Dict[str, float] = {}

    def chain(name: str) -> float:
        if name not in memo:
            after = [chain(s.name) for s in steps.values() if name in s.deps]
            memo[name] = steps[name].cost + max(after, default=0.)
        return memo[name]

    return {name: chain(name) for name in steps}


def ready_steps(steps: Dict[str, Step]) -> list:
    """The waiting steps whose inputs are done, longest chain first."""
    priority = critical_path(steps)
    return sorted(
        (s for s in steps.values()
         if s.state == WAITING and all(steps[d].state == DONE
                                       for d in s.deps)),
        key=lambda s: -priority[s.name])


def run_steps(steps: Dict[str, Step], jobs: int, threads: int,
              poll_seconds: float = 0.5, title: str = 'steps') -> None:
    """Run the steps, ``jobs`` at a time with ``threads`` threads each,
    with a progress bar per step (``rich``); prints a line per finished
    step (its log's tail when it failed) and, when the output is not a
    terminal, a status line a minute.

    Steps already ``DONE`` (an earlier, interrupted run finished them)
    count as finished and are not started.

    Args:
        steps (dict): name -> step.
        jobs (int): processes at a time.
        threads (int): OpenMP threads of each.
        poll_seconds (float): how often the steps are polled.
        title (str): the overall bar's name.
    """
    from rich.progress import (BarColumn, Progress, TaskProgressColumn,
                               TextColumn, TimeElapsedColumn)
    progress = Progress(
        TextColumn('{task.description:<34}'), BarColumn(),
        TaskProgressColumn(), TimeElapsedColumn(),
        TextColumn('{task.fields[state]}'), refresh_per_second=2)
    bars = {
        name: progress.add_task(step.label, total=1., state=WAITING,
                                start=False)
        for name, step in steps.items()
    }
    overall = progress.add_task(f'[bold]{title}', total=len(steps),
                                state='')
    for name, step in steps.items():
        if step.state == DONE:  # finished by an earlier run (resumed)
            progress.update(bars[name], completed=1., state='done before')
            progress.advance(overall)
    console = progress.console
    last_status = time.perf_counter()
    with progress:
        while any(s.state in (WAITING, RUNNING) for s in steps.values()):
            for step in steps.values():
                if step.state == RUNNING and step.update():
                    if step.state == DONE and step.finish is not None:
                        try:
                            step.finish(step)
                        except (OSError, RuntimeError, KeyError,
                                ValueError) as err:
                            step.state = FAILED
                            console.print(f'failed  {step.label}: {err}')
                    progress.update(bars[step.name], completed=step.fraction,
                                    state=step.state)
                    progress.stop_task(bars[step.name])
                    progress.advance(overall)
                    minutes = step.seconds / 60
                    console.print(
                        f'{step.state:>6}  {step.label} ({minutes:.1f} min) '
                        f'log: {step.log_path}', soft_wrap=True)
                    if step.state == FAILED:
                        console.print(step.log_tail())
                elif step.state == RUNNING:
                    progress.update(bars[step.name], completed=step.fraction)
                elif step.state == WAITING and any(
                        steps[d].state in (FAILED, SKIPPED)
                        for d in step.deps):
                    step.state = SKIPPED
                    progress.update(bars[step.name], state=SKIPPED)
                    progress.advance(overall)
            running = sum(s.state == RUNNING for s in steps.values())
            for step in ready_steps(steps)[:max(0, jobs - running)]:
                try:
                    if step.prepare is not None:
                        step.prepare(step)
                except (OSError, RuntimeError) as err:
                    step.state = FAILED
                    console.print(f'failed  {step.label}: {err}')
                    progress.advance(overall)
                    continue
                step.threads = threads
                step.start()
                step.state = RUNNING
                progress.start_task(bars[step.name])
                progress.update(bars[step.name], state=RUNNING)
            if not console.is_terminal and \
                    time.perf_counter() - last_status > 60:
                last_status = time.perf_counter()
                console.print('  ' + ', '.join(
                    f'{s.label} {100 * s.fraction:.0f}%'
                    for s in steps.values() if s.state == RUNNING),
                    soft_wrap=True)
            time.sleep(poll_seconds)
