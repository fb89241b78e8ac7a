"""``tools/train.py`` in a subprocess, for the demo benchmarks of this
folder (imported by them as a sibling module: they run as scripts, so
this folder is first on ``sys.path``).

Each benchmark run is the user's own command line, with one OpenMP team
per process: on a shared CPU, more OpenMP threads than free cores make
every op's barrier spin, several times slower than one thread per run.
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class TrainProcess:
    """One ``tools/train.py CONFIG --work-dir DIR [--cfg-options ...]``.

    Args:
        name (str): what the progress lines call it.
        config (str): the config file.
        work_dir (str): the run's work dir.
        options (list[str]): ``--cfg-options`` entries (none: no flag).
        threads (int): its ``OMP_NUM_THREADS``.
        log_path (str, optional): where stdout and stderr go. Defaults to
            ``work_dir + '.log'``.
    """

    def __init__(self,
                 name: str,
                 config: str,
                 work_dir: str,
                 options: Optional[List[str]] = None,
                 threads: int = 1,
                 log_path: Optional[str] = None):
        self.name = name
        self.work_dir = work_dir
        self.log_path = log_path or work_dir + '.log'
        self.threads = threads
        self.command = [
            sys.executable,
            osp.join(REPO_ROOT, 'tools', 'train.py'), config, '--work-dir',
            work_dir
        ]
        if options:
            self.command += ['--cfg-options', *options]
        self.process: Optional[subprocess.Popen] = None
        self.start_time = 0.

    def start(self) -> None:
        """Launch it (returns at once)."""
        os.makedirs(osp.dirname(osp.abspath(self.log_path)), exist_ok=True)
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            [REPO_ROOT, env.get('PYTHONPATH', '')]).rstrip(os.pathsep)
        env['OMP_NUM_THREADS'] = str(self.threads)
        print(f'[{self.name}] {self.threads} thread(s), log '
              f'{self.log_path}:\n  ' + ' '.join(self.command),
              flush=True)
        self.start_time = time.perf_counter()
        with open(self.log_path, 'w') as log:
            self.process = subprocess.Popen(
                self.command, cwd=REPO_ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT)

    def wait(self) -> float:
        """Wait for it to end.

        Returns:
            float: its wall time in seconds.

        Raises:
            RuntimeError: it failed; the message holds the log's end.
        """
        returncode = self.process.wait()
        seconds = time.perf_counter() - self.start_time
        if returncode != 0:
            with open(self.log_path) as log:
                tail = log.read()[-3000:]
            raise RuntimeError(
                f'[{self.name}] tools/train.py failed ({returncode}); log '
                f'{self.log_path}:\n{tail}')
        return seconds


def scalar_records(work_dir: str) -> List[dict]:
    """The records mmengine's LocalVisBackend wrote for the latest run in
    ``work_dir`` (train losses and validation metrics, one dict a line).

    Raises:
        RuntimeError: there are none.
    """
    paths = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not paths:
        raise RuntimeError(f'no vis_data/scalars.json under {work_dir}')
    with open(paths[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]


def loss_window(records: List[dict]) -> dict:
    """Mean train loss of the first and of the last tenth of the logged
    steps (at least one each; NaN when the run was shorter than the
    logging interval)."""
    losses = [r['loss'] for r in records if 'loss' in r]
    if not losses:
        return dict(first_loss=float('nan'), last_loss=float('nan'))
    window = max(1, len(losses) // 10)
    return dict(
        first_loss=round(sum(losses[:window]) / window, 4),
        last_loss=round(sum(losses[-window:]) / window, 4))


def run_all(runs: List[TrainProcess], sequential: bool = False) -> dict:
    """Run processes side by side (default) or one after the other.

    Returns:
        dict: each run's name -> what its ``wait()`` returned.
    """
    results = {}
    if sequential:
        for run in runs:
            run.start()
            results[run.name] = run.wait()
        return results
    for run in runs:
        run.start()
    for run in runs:
        results[run.name] = run.wait()
    return results
