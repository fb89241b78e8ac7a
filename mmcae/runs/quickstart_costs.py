"""How long each quickstart step will take, so that the scheduler starts
the longest chain first (:func:`mmcae.runs.scheduler.critical_path`).
Only the ORDER in which ready steps start depends on these numbers; the
steps, their commands and their results do not.

A step's estimate is ``STARTUP_SECONDS + units x seconds per unit``:

* units come from what the step will do: a training step's iterations,
  read from its config after its ``--cfg-options`` (``max_iters``, or
  ``max_epochs x ceil(train images / batch size)`` with the image count
  of the demo set size, :data:`mmcae.datasets.demo.SIZES`); a data step's
  images (none when the set is already complete: ``--skip-complete``
  leaves it alone); none for the publish step.
* seconds per unit are measured where possible: after every quickstart
  the steps' wall times are written to ``WORK_DIR/step_seconds.json``
  (:data:`DURATIONS_FILE`), and the next run in that work dir and mode
  uses them. Before any measurement, :data:`SECONDS_PER_UNIT` is the
  configured default.
"""
import json
import math
import os
import os.path as osp
from typing import Dict

from mmcae.checkpoint.atomic import write_bytes_atomically

#: process start (interpreter, torch, mmengine, registries) of any step
STARTUP_SECONDS = 10.
#: configured seconds per unit before a run was measured in the work dir:
#: wall seconds per image (data steps) or per training iteration,
#: validation included, of the full mode on one core of a 2-core x86
#: machine (2 jobs x 1 thread)
SECONDS_PER_UNIT = dict(
    data_imagenet=0.037, data_scenes=0.1, pretrain=0.2, lin=0.145,
    att=0.165, seg=0.62, det=1.9, publish=0.)
#: where the measured durations of a work dir are kept
DURATIONS_FILE = 'step_seconds.json'


def _kind(name: str) -> str:
    """The :data:`SECONDS_PER_UNIT` key of a step."""
    return name if name.startswith('data_') else name.split('_')[0]


def step_units(name: str, schedule: dict, settings) -> int:
    """What a step will do, in :data:`SECONDS_PER_UNIT`'s units.

    Args:
        name (str): the step.
        schedule (dict): a training step's ``max_epochs``, ``max_iters``
            and ``batch_size`` (:func:`mmcae.runs.quickstart.train_schedule`;
            empty for the other steps).
        settings (QuickstartSettings): the run's data root and mode.
    """
    from mmcae.datasets.demo import CLASS_NAMES, SIZES, demo_set_complete
    size = SIZES[settings.data_size]
    train_images = size.cls_train_per_class * len(CLASS_NAMES)
    if name.startswith('data_'):
        demo_set = name[len('data_'):]
        if demo_set_complete(settings.data_root, demo_set, 0,
                             settings.data_size):
            return 0
        if demo_set == 'imagenet':
            return (size.cls_train_per_class +
                    size.cls_val_per_class) * len(CLASS_NAMES)
        return size.scene_train + size.scene_val
    if not schedule:
        return 0
    if schedule['max_iters'] is not None:
        return schedule['max_iters']
    if _kind(name) in ('seg', 'det'):
        train_images = size.scene_train
    return schedule['max_epochs'] * math.ceil(
        train_images / schedule['batch_size'])


def read_durations(work_dir: str) -> dict:
    """``mode -> step -> {seconds, units}`` measured by the previous runs
    in ``work_dir`` (empty when none; an unreadable file counts as none:
    it only orders the steps)."""
    path = osp.join(work_dir, DURATIONS_FILE)
    try:
        with open(path) as f:
            durations = json.load(f)
    except (OSError, ValueError):
        return {}
    return durations if isinstance(durations, dict) else {}


def estimate_costs(steps: Dict, schedules: Dict[str, dict],
                   settings) -> Dict[str, float]:
    """Each step's estimated seconds (see the module's docstring); sets
    each step's ``units``.

    Args:
        steps (dict): name -> :class:`mmcae.runs.scheduler.Step`.
        schedules (dict): name -> training schedule of the training steps.
        settings (QuickstartSettings): work dir, data and mode.
    """
    measured = read_durations(settings.work_dir).get(settings.mode, {})
    costs = {}
    for name, step in steps.items():
        step.units = step_units(name, schedules.get(name, {}), settings)
        rate = SECONDS_PER_UNIT[_kind(name)]
        record = measured.get(name)
        if isinstance(record, dict) and record.get('units'):
            try:
                rate = max(0., float(record['seconds']) -
                           STARTUP_SECONDS) / float(record['units'])
            except (KeyError, TypeError, ValueError):
                pass
        costs[name] = STARTUP_SECONDS + step.units * rate
    return costs


def record_durations(steps: Dict, settings) -> None:
    """Add the wall times of the steps that finished and did some work to
    ``WORK_DIR/step_seconds.json`` (the next run's estimates)."""
    durations = read_durations(settings.work_dir)
    mode = durations.setdefault(settings.mode, {})
    if not isinstance(mode, dict):
        mode = durations[settings.mode] = {}
    for name, step in steps.items():
        if step.state == 'done' and step.units:
            mode[name] = dict(seconds=round(step.seconds, 2),
                              units=step.units)
    os.makedirs(settings.work_dir, exist_ok=True)
    # written whole or not at all: a run killed here keeps the old file
    write_bytes_atomically(
        osp.join(settings.work_dir, DURATIONS_FILE),
        json.dumps(durations, indent=2).encode())
