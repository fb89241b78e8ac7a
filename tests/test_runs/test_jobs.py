"""mmcae.runs.jobs: commands in their own process, their logs, their
errors, side by side."""
import os
import sys

import pytest

from mmcae.runs.jobs import TestJob as EvalJob  # not a pytest class
from mmcae.runs.jobs import (REPO_ROOT, Job, JobError, TrainJob,
                             job_env, run_all)


def python_job(name, code, tmp_path, **kwargs):
    return Job(name, [sys.executable, '-c', code],
               str(tmp_path / f'{name}.log'), **kwargs)


def test_environment_pins_threads_and_puts_the_checkout_first():
    env = job_env(3, dict(EXTRA='1'))
    assert env['OMP_NUM_THREADS'] == env['MKL_NUM_THREADS'] == '3'
    assert env['PYTHONPATH'].split(os.pathsep)[0] == REPO_ROOT
    assert env['EXTRA'] == '1'


def test_a_job_logs_its_command_and_output(tmp_path):
    job = python_job(
        'ok', 'import os; print("threads", os.environ["OMP_NUM_THREADS"])',
        tmp_path, threads=2)
    job.start()
    seconds = job.wait()
    assert seconds > 0 and job.returncode == 0 and job.seconds == seconds
    lines = job.log_text().splitlines()
    assert lines[0] == '$ ' + ' '.join(job.command)
    assert lines[1] == 'threads 2'
    assert job.log_tail(1) == 'threads 2\n'


def test_a_failed_job_raises_with_its_log_tail(tmp_path):
    job = python_job('bad', 'import sys; print("boom"); sys.exit(3)',
                     tmp_path)
    job.start()
    with pytest.raises(JobError) as info:
        job.wait()
    message = str(info.value)
    assert message.startswith(f'[bad] {sys.executable} failed (3); log '
                              f'{job.log_path}:\n')
    assert 'boom' in message
    assert isinstance(info.value, RuntimeError)


def test_a_job_over_its_time_is_stopped(tmp_path):
    job = python_job('slow', 'import time; time.sleep(30)', tmp_path)
    job.start()
    with pytest.raises(JobError, match=r'\[slow\] .* ran over 0.5 s'):
        job.wait(timeout=0.5)
    assert job.poll() is not None


def test_run_all_side_by_side_and_in_turn(tmp_path):
    jobs = [python_job(f'j{i}', f'print({i})', tmp_path) for i in range(3)]
    results = run_all(jobs)
    assert list(results) == ['j0', 'j1', 'j2']
    assert all(seconds > 0 for seconds in results.values())
    again = [python_job('k', 'pass', tmp_path)]
    assert list(run_all(again, sequential=True)) == ['k']
    failing = [python_job('f', 'raise SystemExit(1)', tmp_path),
               python_job('s', 'import time; time.sleep(30)', tmp_path)]
    with pytest.raises(JobError, match=r'\[f\]'):
        run_all(failing)
    assert failing[1].poll() is not None  # the other one was stopped


def test_train_and_test_job_command_lines(tmp_path):
    train = TrainJob('t', 'configs/x.py', str(tmp_path / 'w'),
                     ['a=1', 'b=2'], threads=2)
    assert train.command == [
        sys.executable,
        os.path.join(REPO_ROOT, 'tools', 'train.py'), 'configs/x.py',
        '--work-dir',
        str(tmp_path / 'w'), '--cfg-options', 'a=1', 'b=2'
    ]
    assert train.log_path == str(tmp_path / 'w') + '.log'
    assert train.program == os.path.join('tools', 'train.py')
    assert train.announce and train.threads == 2
    test = EvalJob('e', 'configs/x.py', 'epoch_1.pth', str(tmp_path / 'w'),
                   log_path=str(tmp_path / 'e.log'))
    assert test.command[1:4] == [
        os.path.join(REPO_ROOT, 'tools', 'test.py'), 'configs/x.py',
        'epoch_1.pth'
    ]
    assert '--cfg-options' not in test.command
    assert test.log_path == str(tmp_path / 'e.log')
