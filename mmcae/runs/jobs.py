"""Running ``tools/train.py`` / ``tools/test.py`` (or any command) as a
job: its own process, its own log file, a fixed number of OpenMP threads.

Every benchmark and the quickstart run the user's own command line in a
subprocess rather than calling the runner in-process: each run gets a
fresh interpreter (mmengine's registries, default scope, random states
and ``MessageHub`` are process-wide), a log a user can read, and its own
thread count. That count matters on a shared CPU: more OpenMP threads than
free cores make every op's barrier spin, several times slower than one
thread per run, so each job pins ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS``.

``subprocess`` rather than mmengine's launchers: those start distributed
ranks of ONE run; here independent runs go side by side.
"""
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

#: the checkout that holds ``tools/`` and ``configs/`` (the parent of the
#: ``mmcae`` package: the tools run from a source checkout)
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class JobError(RuntimeError):
    """A job that failed or ran out of time (the message holds the end of
    its log)."""


def job_env(threads: int = 1,
            env: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment of a job: this one, the checkout's ``mmcae`` first on
    ``PYTHONPATH`` (not whatever copy is installed), ``threads`` OpenMP and
    MKL threads, then ``env`` on top."""
    out = dict(os.environ)
    out['PYTHONPATH'] = os.pathsep.join(
        [REPO_ROOT, out.get('PYTHONPATH', '')]).rstrip(os.pathsep)
    for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        out[var] = str(threads)
    out.update(env or {})
    return out


class Job:
    """One command in its own process, stdout and stderr to a log file
    whose first line is ``$ <the command>``.

    Args:
        name (str): its id (progress lines and errors call it so).
        command (list[str]): the command line.
        log_path (str): where stdout and stderr go.
        threads (int): its OpenMP / MKL threads. Defaults to 1.
        label (str, optional): a longer name for progress displays.
            Defaults to ``name``.
        announce (bool): print ``[name] N thread(s), log PATH`` and the
            command when it starts. Defaults to False.
        env (dict, optional): extra environment variables.
        cwd (str): where it runs. Defaults to the checkout.
    """

    def __init__(self,
                 name: str,
                 command: Sequence[str],
                 log_path: str,
                 threads: int = 1,
                 label: Optional[str] = None,
                 announce: bool = False,
                 env: Optional[Dict[str, str]] = None,
                 cwd: str = REPO_ROOT):
        self.name = name
        self.command = list(command)
        self.log_path = log_path
        self.threads = threads
        self.label = label or name
        self.announce = announce
        self.env = env
        self.cwd = cwd
        self.process: Optional[subprocess.Popen] = None
        self.returncode: Optional[int] = None
        self.started = 0.
        #: wall time in seconds, once it ended
        self.seconds = 0.

    @property
    def program(self) -> str:
        """What error messages call the command: the script it runs
        (relative to the checkout) or the executable."""
        if (len(self.command) > 1 and self.command[0] == sys.executable
                and not self.command[1].startswith('-')):
            script = self.command[1]
            if osp.isabs(script) and script.startswith(REPO_ROOT + os.sep):
                script = osp.relpath(script, REPO_ROOT)
            return script
        return self.command[0]

    def start(self) -> None:
        """Launch it (returns at once)."""
        os.makedirs(osp.dirname(osp.abspath(self.log_path)), exist_ok=True)
        if self.announce:
            print(f'[{self.name}] {self.threads} thread(s), log '
                  f'{self.log_path}:\n  ' + ' '.join(self.command),
                  flush=True)
        with open(self.log_path, 'w') as log:
            log.write('$ ' + ' '.join(self.command) + '\n')
            log.flush()
            self.started = time.perf_counter()
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=job_env(
                    self.threads, self.env), stdout=log,
                stderr=subprocess.STDOUT)

    def poll(self) -> Optional[int]:
        """Its exit status once it ended (None while it runs)."""
        if self.returncode is None and self.process is not None:
            code = self.process.poll()
            if code is not None:
                self._ended(code)
        return self.returncode

    def _ended(self, code: int) -> None:
        self.returncode = code
        self.seconds = time.perf_counter() - self.started

    def wait(self, timeout: Optional[float] = None) -> float:
        """Wait for it to end.

        Args:
            timeout (float, optional): seconds to wait before killing it.

        Returns:
            float: its wall time in seconds.

        Raises:
            JobError: it failed or ran out of time; the message holds the
                end of its log.
        """
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise JobError(
                f'[{self.name}] {self.program} ran over {timeout:g} s and '
                f'was stopped; log {self.log_path}:\n'
                f'{self.log_text()[-3000:]}')
        if self.returncode is None:
            self._ended(code)
        if code != 0:
            raise JobError(
                f'[{self.name}] {self.program} failed ({code}); log '
                f'{self.log_path}:\n{self.log_text()[-3000:]}')
        return self.seconds

    def kill(self) -> None:
        """Stop it (no-op once it ended)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self._ended(self.process.wait())

    def log_text(self) -> str:
        """Its log so far ('' before it starts)."""
        try:
            with open(self.log_path, errors='replace') as log:
                return log.read()
        except OSError:
            return ''

    def log_tail(self, lines: int = 15) -> str:
        """The last ``lines`` lines of its log."""
        return ''.join(self.log_text().splitlines(True)[-lines:])


class TrainJob(Job):
    """``tools/train.py CONFIG --work-dir DIR [--cfg-options ...]``.

    Args:
        name (str): its id.
        config (str): the config file.
        work_dir (str): the run's work dir (``work_dir`` attribute: read
            its records with :func:`mmcae.runs.scalars.scalar_records`).
        options (list[str], optional): ``--cfg-options`` entries (none: no
            flag).
        threads (int): its OpenMP threads. Defaults to 1.
        log_path (str, optional): Defaults to ``work_dir + '.log'``.
        announce (bool): print the command when it starts. Defaults to
            True.
        **kwargs: the other arguments of :class:`Job`.
    """
    script = 'train.py'

    def __init__(self,
                 name: str,
                 config: str,
                 work_dir: str,
                 options: Optional[List[str]] = None,
                 threads: int = 1,
                 log_path: Optional[str] = None,
                 announce: bool = True,
                 **kwargs):
        self.config = config
        self.work_dir = work_dir
        self.options = list(options or [])
        super().__init__(name, self._command(), log_path
                         or work_dir + '.log', threads, announce=announce,
                         **kwargs)

    def _arguments(self) -> List[str]:
        return [self.config]

    def _command(self) -> List[str]:
        command = [
            sys.executable,
            osp.join(REPO_ROOT, 'tools', self.script), *self._arguments(),
            '--work-dir', self.work_dir
        ]
        if self.options:
            command += ['--cfg-options', *self.options]
        return command


class TestJob(TrainJob):
    """``tools/test.py CONFIG CHECKPOINT --work-dir DIR [--cfg-options
    ...]``; the arguments of :class:`TrainJob` plus ``checkpoint``."""
    script = 'test.py'

    def __init__(self, name: str, config: str, checkpoint: str,
                 work_dir: str, *args, **kwargs):
        self.checkpoint = checkpoint
        super().__init__(name, config, work_dir, *args, **kwargs)

    def _arguments(self) -> List[str]:
        return [self.config, self.checkpoint]


def add_job_arguments(parser) -> None:
    """``--threads`` and ``--sequential``: the options of :func:`run_all`
    and :func:`job_env` that every side-by-side benchmark offers."""
    parser.add_argument(
        '--threads', type=int, default=1,
        help='threads of each run (OMP_NUM_THREADS); default 1')
    parser.add_argument(
        '--sequential', action='store_true',
        help='one run after the other instead of side by side (on 2 '
        'cores, side by side with --threads 1 is the fastest)')


def run_all(jobs: Sequence[Job],
            sequential: bool = False,
            timeout: Optional[float] = None) -> Dict[str, object]:
    """Run jobs side by side (default) or one after the other.

    Args:
        jobs (list[Job]): the jobs; a subclass may return more than the
            seconds from its ``wait``.
        sequential (bool): one at a time. Defaults to False.
        timeout (float, optional): each job's limit in seconds (side by
            side, counted from the moment the job is waited for).

    Returns:
        dict: each job's name -> what its ``wait()`` returned.

    Raises:
        JobError: a job failed (side by side, the others are stopped).
    """
    results = {}
    if sequential:
        for job in jobs:
            job.start()
            results[job.name] = job.wait(timeout)
        return results
    for job in jobs:
        job.start()
    try:
        for job in jobs:
            results[job.name] = job.wait(timeout)
    except BaseException:
        for job in jobs:
            job.kill()
        raise
    return results
