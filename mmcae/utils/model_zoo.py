"""The model index: metafiles, paper reference numbers, metric keys.

The model zoo is described in OpenMMLab's ``mim`` format: a top-level
``model-index.yml`` imports ``configs/{cae,ccmim,unissl}/metafile.yml``
and ``configs/benchmarks/metafile.yml`` (the small-scale protocol);
each metafile has ``Collections`` (one per method / paper) and ``Models``
(one per config, or per (config, encoder) when one downstream config
reproduces several rows of a paper table with different encoders).

mmcae's conventions on top of mim's (read by ``collect_results.py``,
:mod:`mmcae.utils.model_zoo_docs` (``.dev_scripts/gen_model_zoo.py``) and
the metafile test):

* ``Results`` hold the **paper's** numbers (the reference a run is compared
  with), ``null`` for a pretraining config, whose numbers are those of the
  downstream configs that load its encoder.
* Metric names are the keys the config's evaluator logs, i.e. what
  mmengine writes to ``vis_data/scalars.json``: ``accuracy/top1``
  (mmpretrain ``Accuracy``), ``mIoU`` (mmseg ``IoUMetric``),
  ``coco/bbox_mAP`` / ``coco/segm_mAP`` (mmdet ``CocoMetric``, which logs
  fractions: :func:`to_percent` scales them like the papers).
* Each result names where the paper gives it::

      Paper: {Table: cae-arxiv-1, Method: CAE, Arch: ViT-B, Epochs: 300,
              Column: LIN}

  ``Table`` is ``{collection paper id}-{table number}``; a paper table's
  rows are the distinct (Method, Arch, Epochs), its columns the distinct
  ``Column`` labels, in the order the metafiles give them.
* ``Metadata.Pretrained`` (downstream entries) names the pretraining
  entry whose encoder the row loads, where the index has one.
* ``Metadata.Encoder Checkpoint`` (downstream entries) is the checkpoint
  the row loads (``model.backbone.init_cfg.checkpoint``); it tells apart
  entries that share a config.
* ``Ours`` (optional, absent until a run is published): a list like
  ``Results`` with the numbers measured by mmcae, each with the ``Log`` or
  work dir it comes from; ``Weights`` is the published checkpoint.
  Several seeds: ``Metrics`` holds the mean, ``Seeds`` the seeds,
  ``Std`` the sample standard deviation and ``Values`` the per-seed
  numbers (metric -> list in ``Seeds`` order), ``Log`` a list of logs.
* An entry with ``Results: null`` and an ``Ours`` list is a downstream
  entry measured only by mmcae (a protocol of no paper: the small-scale
  protocol of ``configs/benchmarks/metafile.yml``); without ``Ours`` it is
  a pretraining entry. ``Metadata['Cfg Options']`` lists the
  ``--cfg-options`` a row's run needs (``model.backbone.init_cfg=None``:
  a random encoder, no ``Encoder Checkpoint``).
* ``Weights`` is a URL, or, for a checkpoint that is not uploaded
  (files over 1 MB are not committed), a mapping ``{Name, SHA256, Bytes,
  Command}`` (plus optional ``Pretrain Command``): the file name
  (``publish_model.py``'s ``{prefix}-{sha256[:8]}.pth``), its full
  sha256, its size and the command that writes it, repository-relative.
  Its ``Encoder Checkpoint`` in downstream entries may then be the
  ``work_dirs/`` path the run loaded instead of a ``weights/`` file.
* Metric keys outside a config's evaluator: ``knn/top1`` is the ``top1``
  of ``tools/analysis_tools/knn_eval.py``'s ``knn.json`` (run with the
  linear-probe config, so it sits in that entry's ``Ours``).
"""
import math
import os.path as osp
from collections import OrderedDict
from typing import Dict, Iterable, List, Optional, Set, Tuple

import yaml

from .errors import UserError

#: the repository root (configs/, model-index.yml)
REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: Task names of the metafiles
TASKS = ('Image Classification', 'Semantic Segmentation', 'Object Detection',
         'Instance Segmentation', 'Self-Supervised Pretraining')


def _read_yaml(path: str):
    """A metafile's content. ``yaml.safe_load``: mmengine's ``load`` uses
    PyYAML's full Loader, under which a ``!!python/object/apply`` tag in a
    metafile runs code."""
    with open(path, encoding='utf-8') as f:
        try:
            return yaml.safe_load(f)
        except yaml.YAMLError as err:
            raise UserError(f'{path} is not valid (safe) YAML: {err}') from err


def load_model_index(root: Optional[str] = None,
                     index_file: str = 'model-index.yml'
                     ) -> 'OrderedDict[str, dict]':
    """Read ``model-index.yml`` and every metafile it imports.

    Args:
        root (str, optional): the repository root. Defaults to mmcae's.
        index_file (str): the index, relative to ``root``.

    Returns:
        OrderedDict[str, dict]: model name -> its metafile entry, with two
        keys added: ``'Collection'`` (the dict of its ``In Collection``)
        and ``'Metafile'`` (the metafile's path relative to ``root``).

    Raises:
        UserError: a file is missing, a name repeats, or a model names an
            unknown collection (the message names the metafile and entry).
    """
    root = root or REPO_ROOT
    index_path = osp.join(root, index_file)
    if not osp.isfile(index_path):
        raise UserError(f'model index not found: {index_path}')
    index = _read_yaml(index_path) or {}
    models: 'OrderedDict[str, dict]' = OrderedDict()
    for metafile in index.get('Import', []):
        path = osp.join(root, metafile)
        if not osp.isfile(path):
            raise UserError(f'{index_path} imports {metafile}, which does '
                            'not exist')
        content = _read_yaml(path) or {}
        collections = {
            c['Name']: c
            for c in content.get('Collections', []) or []
        }
        for entry in content.get('Models', []) or []:
            name = entry.get('Name')
            if not name:
                raise UserError(f'{metafile}: a model entry has no Name: '
                                f'{entry}')
            if name in models:
                raise UserError(f'{metafile}: model name {name!r} repeats '
                                f'(also in {models[name]["Metafile"]})')
            collection = entry.get('In Collection')
            if collection not in collections:
                raise UserError(f'{metafile}: model {name!r} is In '
                                f'Collection {collection!r}, which the '
                                f'metafile does not define (defined: '
                                f'{sorted(collections)})')
            models[name] = dict(
                entry, Collection=collections[collection], Metafile=metafile)
    return models


def evaluator_metric_keys(evaluator_cfg) -> Set[str]:
    """The scalar keys an evaluator config logs (what mmengine writes to
    ``scalars.json``).

    Args:
        evaluator_cfg (dict | list[dict]): a config's ``val_evaluator`` or
            ``test_evaluator``.

    Returns:
        set[str]: e.g. ``{'accuracy/top1', 'accuracy/top5'}``.

    Raises:
        UserError: a metric type this function does not know.
    """
    if isinstance(evaluator_cfg, (list, tuple)):
        keys: Set[str] = set()
        for cfg in evaluator_cfg:
            keys |= evaluator_metric_keys(cfg)
        return keys
    if 'metrics' in evaluator_cfg:  # an Evaluator dict
        return evaluator_metric_keys(evaluator_cfg['metrics'])
    metric_type = str(evaluator_cfg['type']).split('.')[-1]
    if metric_type == 'Accuracy':
        topk = evaluator_cfg.get('topk', (1, ))
        topk = (topk, ) if isinstance(topk, int) else topk
        prefix = evaluator_cfg.get('prefix') or 'accuracy'
        return {f'{prefix}/top{k}' for k in topk}
    if metric_type == 'IoUMetric':
        names = evaluator_cfg.get('iou_metrics', ['mIoU'])
        names = [names] if isinstance(names, str) else names
        # mmseg logs aAcc, then per metric its mean (mIoU, mDice, mFscore)
        # and the class-averaged accuracy / precision / recall
        keys = {'aAcc', 'mAcc'}
        for name in names:
            keys.add(name)
            if name == 'mFscore':
                keys |= {'mPrecision', 'mRecall'}
        return keys
    if metric_type == 'CocoMetric':
        kinds = evaluator_cfg.get('metric', 'bbox')
        kinds = [kinds] if isinstance(kinds, str) else kinds
        prefix = evaluator_cfg.get('prefix') or 'coco'
        suffixes = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')
        return {
            f'{prefix}/{kind}_{suffix}'
            for kind in kinds for suffix in suffixes
        }
    raise UserError(f'unknown metric type {evaluator_cfg["type"]!r}: '
                    'evaluator_metric_keys knows Accuracy, IoUMetric and '
                    'CocoMetric')


def to_percent(key: str, value: Optional[float]) -> float:
    """A logged metric in the papers' unit (percent).

    mmdet's ``CocoMetric`` logs APs as fractions (0.480); mmpretrain's
    ``Accuracy`` and mmseg's ``IoUMetric`` log percentages already.
    """
    if value is None:
        return math.nan
    if key.startswith('coco/') or '/bbox_' in key or '/segm_' in key:
        return float(value) * 100
    return float(value)


def paper_results(models: Dict[str, dict],
                  table: Optional[str] = None) -> List[dict]:
    """Flatten the paper numbers of the index.

    Args:
        models (dict): :func:`load_model_index`'s result.
        table (str, optional): keep this paper table only (e.g.
            ``'cae-arxiv-3'``).

    Returns:
        list[dict]: one dict per (model, metric) with keys ``model``,
        ``config``, ``table``, ``method``, ``arch``, ``epochs``, ``column``,
        ``metric``, ``value``, ``task`` and ``dataset``, in index order.
    """
    rows = []
    for name, entry in models.items():
        for result in entry.get('Results') or []:
            paper = result.get('Paper') or {}
            if table is not None and paper.get('Table') != table:
                continue
            for metric, value in (result.get('Metrics') or {}).items():
                rows.append(
                    dict(
                        model=name,
                        config=entry['Config'],
                        table=paper.get('Table'),
                        method=paper.get('Method'),
                        arch=paper.get('Arch'),
                        epochs=paper.get('Epochs'),
                        column=paper.get('Column', metric),
                        metric=metric,
                        value=value,
                        task=result.get('Task'),
                        dataset=result.get('Dataset')))
    return rows


def paper_tables(models: Dict[str, dict]) -> List[str]:
    """The paper table ids the index has numbers for, in index order."""
    seen: List[str] = []
    for row in paper_results(models):
        if row['table'] and row['table'] not in seen:
            seen.append(row['table'])
    return seen


def models_of_config(models: Dict[str, dict],
                     config: str) -> List[str]:
    """The names of the entries whose ``Config`` has ``config``'s file name
    (several when one config reproduces rows with different encoders)."""
    base = osp.basename(config)
    return [
        name for name, entry in models.items()
        if osp.basename(entry.get('Config', '')) == base
    ]


def match_entry(models: Dict[str, dict], config: str,
                encoder_checkpoint: Optional[str] = None
                ) -> Tuple[Optional[str], List[str]]:
    """The metafile entry a run of ``config`` reproduces.

    Entries are found by the config's file name (:func:`models_of_config`).
    When several share it (one downstream config, several encoders), the
    one whose ``Metadata['Encoder Checkpoint']`` has the file name of
    ``encoder_checkpoint`` (the run's ``model.backbone.init_cfg.checkpoint``)
    is chosen. Nothing is guessed.

    Args:
        models (dict): :func:`load_model_index`'s result.
        config (str): the run's config file (path or file name).
        encoder_checkpoint (str, optional): the checkpoint the run's
            backbone loaded.

    Returns:
        tuple[str | None, list[str]]: the entry's name (None when no entry
        or several match) and the candidates (the entries sharing the
        config's file name; empty when no entry has it).
    """
    candidates = models_of_config(models, config)
    if len(candidates) == 1:
        return candidates[0], candidates
    wanted = osp.basename(encoder_checkpoint or '')
    matches = [
        name for name in candidates
        if wanted and osp.basename(
            str((models[name].get('Metadata') or {}).get(
                'Encoder Checkpoint') or '')) == wanted
    ]
    return (matches[0] if len(matches) == 1 else None), candidates


def unique(items: Iterable) -> list:
    """The items in first-seen order, without repeats."""
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
