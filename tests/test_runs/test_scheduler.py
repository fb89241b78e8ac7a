"""mmcae.runs.scheduler: progress read from mmengine logs, the critical
path, and dependent steps run to the end (done, failed, skipped)."""
import sys

import pytest

from mmcae.runs.scheduler import Step, critical_path, ready_steps, run_steps


def test_progress_is_read_from_the_mmengine_log(tmp_path):
    log = tmp_path / 'run.log'
    step = Step('lin', ['true'], str(log), max_epochs=4)
    log.write_text('Epoch(train)  [2][ 5/10]  lr: 1e-3  loss: 0.5\n')
    step.read_progress()
    assert step.fraction == pytest.approx(0.95 * 15 / 40)
    with open(log, 'a') as f:
        f.write('Epoch(val) [4][3/4]  eta: 0:00:01\n'
                'Iter(val) [3/4]  eta: 0:00:01\n')
    step.read_progress()
    assert step.fraction == pytest.approx(0.9 + 0.1 * 3 / 4)
    iters = Step('det', ['true'], str(tmp_path / 'b'))
    (tmp_path / 'b').write_text('Iter(train) [ 50/200]  loss: 1.0\n')
    iters.read_progress()
    assert iters.fraction == pytest.approx(0.9 * 50 / 200)
    missing = Step('x', ['true'], str(tmp_path / 'none'))
    missing.read_progress()
    assert missing.fraction == 0.


def diamond(tmp_path, commands=None):
    """a -> (b, c) -> d, with costs 1, 5, 2, 1."""
    commands = commands or {}
    spec = dict(a=([], 1.), b=(['a'], 5.), c=(['a'], 2.), d=(['b', 'c'], 1.))
    return {
        name: Step(name, commands.get(name, [sys.executable, '-c', 'pass']),
                   str(tmp_path / f'{name}.log'), deps, cost)
        for name, (deps, cost) in spec.items()
    }


def test_longest_chain_first(tmp_path):
    steps = diamond(tmp_path)
    assert critical_path(steps) == dict(a=7., b=6., c=3., d=1.)
    assert [s.name for s in ready_steps(steps)] == ['a']
    steps['a'].state = 'done'
    assert [s.name for s in ready_steps(steps)] == ['b', 'c']


def test_steps_run_after_their_inputs(tmp_path):
    order = tmp_path / 'order.txt'
    code = f'open({str(order)!r}, "a").write("{{}}\\n")'
    steps = diamond(tmp_path, {
        name: [sys.executable, '-c', code.format(name)] for name in 'abcd'})
    prepared = []
    steps['d'].prepare = lambda step: prepared.append(step.name)
    run_steps(steps, jobs=2, threads=1, poll_seconds=0.05)
    assert all(s.state == 'done' for s in steps.values())
    done = order.read_text().split()
    assert done[0] == 'a' and done[-1] == 'd' and sorted(done) == list(
        'abcd')
    assert prepared == ['d'] and steps['d'].threads == 1
    assert all(s.fraction == 1. and s.seconds > 0 for s in steps.values())


def test_a_failure_skips_what_needs_it(tmp_path, capsys):
    steps = diamond(tmp_path, {'b': [sys.executable, '-c', 'print("oops");'
                                     'raise SystemExit(1)']})

    def no_input(step):
        raise OSError('no input file')

    steps['c'].prepare = no_input
    run_steps(steps, jobs=1, threads=1, poll_seconds=0.05)
    assert {n: s.state for n, s in steps.items()} == dict(
        a='done', b='failed', c='failed', d='skipped')
    out = capsys.readouterr().out
    assert 'failed  c: no input file' in out
    assert 'oops' in out  # a failed step's log tail is printed
