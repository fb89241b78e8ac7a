"""Step-time comparisons: training steps of several models ("rows") at the
same size, batch and precision, each row timed in its own process.

A comparison module (:mod:`.step_time_cae`, :mod:`.step_time_ccmim`)
builds each row's model and its step; this module times the steps, reads
the peak memory and runs every row in a fresh interpreter, so that the
peak memory is the row's own: on CUDA the peak of
``torch.cuda.max_memory_allocated`` over the timed steps; on CPU the
process's peak resident set (``ru_maxrss``, which includes the ~0.4 GB of
the imported libraries; compare rows, not absolute numbers).

A row runs as ``python -m mmcae.benchmark.step_time MODULE ARGS_JSON
OUT_JSON``: the comparison module's ``time_row(args)`` with ``args.only``
set to the row, its result written to ``OUT_JSON``.
"""
import argparse
import importlib
import json
import os.path as osp
import resource
import sys
import tempfile
import time
from typing import Callable, Dict, List, Sequence, Tuple

from mmcae.runs.jobs import Job


def build_model(model_cfg: dict, device: str):
    """Build a model dict (mmpretrain scope), initialize it with seed 0 and
    put it in train mode on ``device``."""
    import torch
    from mmengine.registry import MODELS, DefaultScope

    import mmcae.models  # noqa: F401  (registers mmcae.*)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
    model.init_weights()
    return model.to(torch.device(device)).train()


def optimizer_step(model, optimizer, losses: dict) -> None:
    """Sum the loss terms, backward, AdamW step."""
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def time_steps(step: Callable[[], None], device: str, warmup: int,
               steps: int) -> Tuple[List[float], float]:
    """Run ``warmup`` untimed steps, then time ``steps`` steps one by one
    (the device synchronized after each).

    Returns:
        tuple: the seconds of each timed step and the peak memory in MiB
        (CUDA: allocated during the timed steps; CPU: the process's peak
        resident set).
    """
    import torch
    cuda = torch.device(device).type == 'cuda'

    def sync():
        if cuda:
            torch.cuda.synchronize()

    for _ in range(warmup):
        step()
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    if cuda:
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:  # Linux reports KiB
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return times, peak_mb


def run_rows(module: str, rows: Sequence[str], args: argparse.Namespace,
             in_process: bool = False) -> Dict[str, dict]:
    """Time each row in its own process, one after the other.

    Args:
        module (str): the comparison module's name in
            :mod:`mmcae.benchmark` (e.g. ``'step_time_ccmim'``).
        rows (list[str]): the rows, in order.
        args (Namespace): the comparison's arguments (JSON-serializable).
        in_process (bool): time every row in this process instead (the
            peak memory is then the largest so far, not the row's own):
            for tests, which would otherwise pay a fresh interpreter and
            its imports per row. Defaults to False.

    Returns:
        dict: row -> what the module's ``time_row`` returned.

    Raises:
        JobError: a row failed (the message holds the end of its log).
    """
    if in_process:
        time_row = importlib.import_module(
            f'mmcae.benchmark.{module}').time_row
        # the same round trip through JSON as a child's arguments
        return {
            row: time_row(argparse.Namespace(
                **json.loads(json.dumps(dict(vars(args), only=row)))))
            for row in rows
        }
    import torch

    # the parent's thread count: what a child would pick by default
    threads = torch.get_num_threads()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for row in rows:
            out = osp.join(tmp, f'{row}.json')
            spec = json.dumps(dict(vars(args), only=row))
            job = Job(row, [
                sys.executable, '-m', 'mmcae.benchmark.step_time', module,
                spec, out
            ], osp.join(tmp, f'{row}.log'), threads)
            job.start()
            job.wait()
            with open(out) as f:
                results[row] = json.load(f)
    return results


def write_json(path: str, data: dict) -> None:
    """Write ``data`` as indented JSON."""
    with open(path, 'w') as f:
        json.dump(data, f, indent=2)


def public_args(args: argparse.Namespace) -> dict:
    """The arguments as the ``--out`` file records them (without the
    sub-command's name)."""
    return {k: v for k, v in vars(args).items() if k != 'command'}


if __name__ == '__main__':
    _module = importlib.import_module(f'mmcae.benchmark.{sys.argv[1]}')
    _result = _module.time_row(argparse.Namespace(**json.loads(sys.argv[2])))
    write_json(sys.argv[3], _result)
