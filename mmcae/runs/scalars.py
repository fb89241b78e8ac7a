"""Reading the numbers a run logged: mmengine's ``vis_data/scalars.json``.

mmengine's ``LocalVisBackend`` writes one JSON dict a line to
``WORK_DIR/<timestamp>/vis_data/scalars.json``: train records (``loss``,
the loss terms, ``lr``, ``time``...) every ``logger.interval`` steps and
one validation record (the evaluator's metrics, ``step``) per validation.
mmengine has no reader for it (its ``LogProcessor`` only writes), so the
tools and benchmarks read it through this module.
"""
import glob
import json
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

#: what LoggerHook logs next to the metrics, never a metric
BOOKKEEPING_KEYS = frozenset(
    ('step', 'epoch', 'iter', 'time', 'data_time', 'memory'))


class ScalarsError(RuntimeError):
    """A work dir without readable records (the message names it)."""


def scalars_files(work_dir: str) -> List[str]:
    """Every ``<timestamp>/vis_data/scalars.json`` of a work dir, oldest
    first (mmengine names the folders ``%Y%m%d_%H%M%S``, which sorts in
    time order)."""
    return sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))


def read_records(path: str) -> List[dict]:
    """The records of one ``scalars.json``.

    Raises:
        ScalarsError: a line is not JSON (the message names the file and
            the line).
    """
    records = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ScalarsError(f'{path}: line {number} is not JSON '
                                   f'({err})') from err
    return records


def scalar_records(work_dir: str) -> List[dict]:
    """The records of the latest run in ``work_dir``.

    Raises:
        ScalarsError: there are none.
    """
    paths = scalars_files(work_dir)
    if not paths:
        raise ScalarsError(f'no vis_data/scalars.json under {work_dir}')
    return read_records(paths[-1])


def values(records: Sequence[dict], key: str) -> List[Any]:
    """The logged values of ``key``, in logged order."""
    return [r[key] for r in records if key in r]


def last_value(records: Sequence[dict], key: str,
               default: Any = None) -> Any:
    """The last logged value of ``key`` (``default`` when never logged)."""
    found = values(records, key)
    return found[-1] if found else default


def first_value(records: Sequence[dict], key: str,
                default: Any = None) -> Any:
    """The first logged value of ``key`` (``default`` when never logged)."""
    found = values(records, key)
    return found[0] if found else default


def last_record_with(records: Sequence[dict],
                     key: str) -> Optional[dict]:
    """The last record that has ``key`` (e.g. the last validation record
    of a metric), or None."""
    found = [r for r in records if key in r]
    return found[-1] if found else None


def loss_window(records: Sequence[dict], key: str = 'loss') -> dict:
    """Mean train loss of the first and of the last tenth of the logged
    steps (at least one step each).

    Returns:
        dict: ``first_loss`` and ``last_loss``, rounded to 4 decimals; NaN
        when the run was shorter than the logging interval.
    """
    losses = values(records, key)
    if not losses:
        return dict(first_loss=float('nan'), last_loss=float('nan'))
    window = max(1, len(losses) // 10)
    return dict(
        first_loss=round(sum(losses[:window]) / window, 4),
        last_loss=round(sum(losses[-window:]) / window, 4))


def loss_windows(records: Sequence[dict], keys: Sequence[str],
                 window: int = 20,
                 source: str = '') -> Dict[str, Dict[str, float]]:
    """Mean of each logged loss term over the first and last ``window``
    steps (a tenth of the steps, at least 2, for runs shorter than 10
    windows). Only the records that hold ``keys[0]`` count as steps.

    Args:
        records (list[dict]): a run's records (:func:`scalar_records`).
        keys (list[str]): the loss terms, e.g. ``('loss_rec',
            'loss_align')``.
        window (int): the window for long runs. Defaults to 20.
        source (str): what the error message calls the run (its work dir).

    Returns:
        dict: key -> ``first``, ``last`` (rounded to 4 decimals),
        ``steps`` and ``window``.

    Raises:
        ScalarsError: fewer than 4 logged steps.
    """
    steps = [r for r in records if keys[0] in r]
    if len(steps) < 4:
        raise ScalarsError(f'{source}: {len(steps)} logged steps')
    window = min(window, max(2, len(steps) // 10))
    out = {}
    for key in keys:
        logged = [r[key] for r in steps]
        out[key] = dict(
            first=round(float(np.mean(logged[:window])), 4),
            last=round(float(np.mean(logged[-window:])), 4),
            steps=len(logged), window=window)
    return out


def is_train_record(record: dict) -> bool:
    """Train records have the loss and the learning rate (mmengine's
    ``LogProcessor`` adds ``lr``; the model's ``parse_losses`` ``loss``)."""
    return any(key in ('loss', 'lr') or key.startswith(('loss_', 'base_lr'))
               for key in record)


def metric_values(record: dict) -> 'OrderedDict[str, float]':
    """The numeric metric entries of a logged record, in the papers' unit
    (:func:`mmcae.utils.model_zoo.to_percent`), in logged order."""
    from mmcae.utils.model_zoo import to_percent
    metrics: 'OrderedDict[str, float]' = OrderedDict()
    for key, value in record.items():
        if key in BOOKKEEPING_KEYS or isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            # 6 decimals: drop the float noise of the fraction -> percent
            metrics[key] = round(to_percent(key, value), 6)
    return metrics


def last_val_record(scalars_path: str) -> Optional[dict]:
    """The last validation record of a ``vis_data/scalars.json``: the last
    record that is not a train record and holds a number other than
    bookkeeping.

    Returns:
        dict | None: the record (metrics plus ``step``, ``time``...) or
        None when the run logged no validation.

    Raises:
        ScalarsError: a line is not JSON.
    """
    found = None
    for record in read_records(scalars_path):
        if (isinstance(record, dict) and not is_train_record(record)
                and metric_values(record)):
            found = record
    return found
