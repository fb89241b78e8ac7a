"""The OpenMMLab tools users reach for, for mmcae configs of every
framework: ``print_config``, ``browse_dataset``, ``analyze_logs`` and
``confusion_matrix`` (thin CLIs in tools/misc and tools/analysis_tools).

What is reused and what is ours, and why:

- print_config: mmengine's ``Config.pretty_text`` of the config as
  :func:`mmcae.utils.config.load_config` resolves it (``--cfg-options``,
  mmcae's checks), as every framework's print_config does; nothing written.
- browse_dataset: the dataset and the visualizer of the config's scope
  (mmpretrain's ``UniversalVisualizer.visualize_cls``, mmseg's
  ``SegLocalVisualizer`` and mmdet's ``DetLocalVisualizer.add_datasample``)
  are upstream; the loop is ours because two of the upstream scripts fail
  on mmcae configs: mmpretrain's builds its visualizer from a config that
  still carries ``_scope_`` (``Visualizer.__init__() got an unexpected
  keyword argument '_scope_'``) and mmseg's hands cv2 a channel-reversed
  view (a non-contiguous array: cv2's layout error). Here the visualizer is
  built through the registry of the config's scope with ``_scope_``
  removed, and every image is a contiguous uint8 HWC RGB array.
- analyze_logs: mmengine's ``vis_data/scalars.json`` (one JSON object a
  line) read here and plotted with matplotlib; mmseg's script needs
  seaborn, which is no dependency of the frameworks. ``cal_train_time``
  prints what mmpretrain's and mmdet's do.
- confusion_matrix: mmpretrain's ``ConfusionMatrix`` metric on a
  ``tools/test.py --out`` pickle of a classification config.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.config import Config

from .errors import UserError


def print_config(cfg: Config) -> str:
    """The resolved config as mmengine prints it (``Config.pretty_text``)."""
    return cfg.pretty_text


# ---------------------------------------------------------------- browse


def _rgb(inputs) -> np.ndarray:
    """A packed CHW BGR image tensor as a contiguous uint8 HWC RGB array."""
    image = inputs.permute(1, 2, 0).cpu().numpy()[..., ::-1]
    return np.ascontiguousarray(np.clip(image, 0, 255).astype(np.uint8))


def _visualizer(cfg: Config, scope: str, save_dir: Optional[str]):
    import time

    from mmengine.registry import VISUALIZERS
    vis_cfg = dict(cfg.get('visualizer') or {})
    vis_cfg.pop('_scope_', None)
    default = dict(mmpretrain='UniversalVisualizer',
                   mmseg='SegLocalVisualizer', mmdet='DetLocalVisualizer')
    vis_cfg.setdefault('type', default[scope])
    vis_cfg.update(name=f'browse_dataset_{time.time()}', vis_backends=None,
                   save_dir=save_dir)
    return VISUALIZERS.build(vis_cfg)


def browse_dataset(cfg: Config,
                   output_dir: Optional[str],
                   phase: str = 'train',
                   show: bool = False,
                   max_items: Optional[int] = None,
                   wait_time: float = 2.0) -> List[str]:
    """Draw the items of the config's ``{phase}_dataloader`` dataset after
    its pipeline (ground truth only), as the frameworks' browse_dataset
    tools do.

    Returns:
        list[str]: the files written to ``output_dir``.

    Raises:
        UserError: the config has no such dataloader, an unknown scope, or
            the dataset cannot be built.
    """
    from mmengine.registry import DATASETS, DefaultScope
    scope = cfg.get('default_scope') or 'mmpretrain'
    if scope not in ('mmpretrain', 'mmseg', 'mmdet'):
        raise UserError(f"config '{cfg.filename}': default_scope='{scope}'; "
                        'browse_dataset knows mmpretrain, mmseg and mmdet.')
    loader = cfg.get(f'{phase}_dataloader')
    if not loader or not loader.get('dataset'):
        raise UserError(f"config '{cfg.filename}' has no "
                        f'{phase}_dataloader.dataset; pick another --phase.')
    if output_dir:
        os.makedirs(output_dir, exist_ok=True)
    written = []
    with DefaultScope.overwrite_default_scope(scope):
        import mmcae.datasets  # noqa: F401  (mmcae transforms)
        try:
            dataset = DATASETS.build(loader.dataset)
        except (FileNotFoundError, KeyError, TypeError, ValueError) as err:
            raise UserError(
                f"config '{cfg.filename}': {phase}_dataloader.dataset cannot "
                f'be built ({type(err).__name__}: {err}); check its '
                'data_root / ann_file or override them with --cfg-options.'
            ) from err
        visualizer = _visualizer(cfg, scope, output_dir)
        visualizer.dataset_meta = dataset.metainfo
        count = len(dataset) if max_items is None else min(
            max_items, len(dataset))
        for index in range(count):
            item = dataset[index]
            image = _rgb(item['inputs'])
            sample = item['data_samples']
            if phase != 'train' and scope != 'mmpretrain' and \
                    sample.get('img_path'):
                # test pipelines load the annotations after Resize: they
                # are at the original scale, so draw on the original image
                import mmcv
                image = np.ascontiguousarray(
                    mmcv.imread(sample.img_path, channel_order='rgb'))
            name = osp.basename(sample.get('img_path') or f'{index}.png')
            out_file = osp.join(output_dir, f'{index:05d}_{name}') \
                if output_dir else None
            if out_file and not out_file.endswith(('.png', '.jpg')):
                out_file += '.png'
            if scope == 'mmpretrain':
                visualizer.visualize_cls(
                    image, sample, show=show, wait_time=wait_time,
                    out_file=out_file)
            else:
                if scope == 'mmdet':
                    sample = _plain_det_sample(sample)
                visualizer.add_datasample(
                    name, image, data_sample=sample, draw_pred=False,
                    show=show, wait_time=wait_time, out_file=out_file)
            if out_file:
                written.append(out_file)
    return written


def _plain_det_sample(sample):
    """Boxes and masks of a packed DetDataSample as arrays (what mmdet's
    browse_dataset does before drawing)."""
    from mmdet.structures.bbox import BaseBoxes
    from mmdet.structures.mask import BitmapMasks, PolygonMasks
    sample = sample.numpy()
    instances = sample.gt_instances
    boxes = instances.get('bboxes')
    if isinstance(boxes, BaseBoxes):
        instances.bboxes = boxes.tensor
    masks = instances.get('masks')
    if isinstance(masks, (BitmapMasks, PolygonMasks)):
        instances.masks = masks.to_ndarray()
    sample.gt_instances = instances
    return sample


# ------------------------------------------------------------ analyze_logs


def load_scalars(path: str) -> List[Dict]:
    """The records of an mmengine ``vis_data/scalars.json`` (or a
    ``*.json`` log of the same layout: one JSON object a line)."""
    if not osp.isfile(path):
        raise UserError(f"log file not found: '{path}' (mmengine writes "
                        'WORK_DIR/TIMESTAMP/vis_data/scalars.json)')
    records = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                records.append(json.loads(line))
    return records


def plot_curve(paths: Sequence[str], keys: Sequence[str], out: str,
               title: Optional[str] = None,
               legend: Optional[Sequence[str]] = None) -> str:
    """Plot ``keys`` against the step of each log to ``out`` (a PNG, or
    any format matplotlib knows by the suffix).

    Raises:
        UserError: a key is in none of the logs' records.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure, axis = plt.subplots(figsize=(8, 5))
    for log_index, path in enumerate(paths):
        records = load_scalars(path)
        for key in keys:
            points = [(r.get('step', r.get('iter', i)), r[key])
                      for i, r in enumerate(records) if key in r]
            if not points:
                found = sorted({k for r in records for k in r})
                raise UserError(f"key '{key}' is not in '{path}'; its keys: "
                                f'{", ".join(found)}')
            steps, values = zip(*points)
            label = (legend[log_index * len(keys) + keys.index(key)]
                     if legend else
                     f'{osp.basename(osp.dirname(osp.dirname(path)))} {key}'
                     if len(paths) > 1 else key)
            axis.plot(steps, values, label=label)
    axis.set_xlabel('step')
    axis.legend()
    if title:
        axis.set_title(title)
    out_dir = osp.dirname(osp.abspath(out))
    os.makedirs(out_dir, exist_ok=True)
    figure.savefig(out, dpi=100)
    plt.close(figure)
    return out


def cal_train_time(path: str, include_outliers: bool = False) -> Dict:
    """Time per training iteration of a log (the ``time`` of its training
    records, i.e. those with a ``loss``).

    Returns:
        dict: ``mean``, ``std``, ``slowest``, ``fastest`` (seconds an
        iteration; the first record left out unless ``include_outliers``,
        as mmdet's tool does) and ``count``.
    """
    times = [r['time'] for r in load_scalars(path)
             if 'time' in r and any(k.startswith('loss') for k in r)]
    if not include_outliers:
        times = times[1:]
    if not times:
        raise UserError(f"'{path}' has no training records with a 'time'")
    array = np.asarray(times)
    return dict(mean=float(array.mean()), std=float(array.std()),
                slowest=float(array.max()), fastest=float(array.min()),
                count=len(times))


# -------------------------------------------------------- confusion matrix


def confusion_matrix(cfg: Config, results_pkl: str, trust: bool = False):
    """mmpretrain's ``ConfusionMatrix`` of a ``tools/test.py --out``
    pickle of a classification config.

    The results file is a plain pickle (tensors inside), which only full
    unpickling reads, and unpickling can run code stored in the file: it is
    read only when the user trusts it (``trust=True``, the tool's
    ``--trust``, or ``MMCAE_TRUST_CHECKPOINTS=1``).

    Returns:
        torch.Tensor: (num_classes, num_classes), rows the ground truth.
    """
    from mmengine.fileio import load
    if (cfg.get('default_scope') or 'mmpretrain') != 'mmpretrain':
        raise UserError(f"config '{cfg.filename}': confusion_matrix is for "
                        'classification (mmpretrain) configs.')
    if not osp.isfile(results_pkl):
        raise UserError(f"results file not found: '{results_pkl}' (make it "
                        'with tools/test.py CONFIG CHECKPOINT --out FILE.pkl)')
    from mmcae.checkpoint.trust import TRUST_ENV_VAR, is_trusted_by_env
    if not (trust or is_trusted_by_env()):
        raise UserError(
            f"'{results_pkl}' is a pickle: reading it can run code stored "
            'in it. If you wrote it (tools/test.py --out) or trust its '
            f'source, pass --trust (or set {TRUST_ENV_VAR}=1).')
    from mmpretrain.evaluation import ConfusionMatrix
    results = load(results_pkl)
    metric = ConfusionMatrix()
    metric.process(None, results)
    return metric.compute_metrics(metric.results)['result']


def class_names(cfg: Config) -> Optional[List[str]]:
    """The test set's class names, from its metainfo or ``classes``."""
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    meta = dataset.get('metainfo') or {}
    names = meta.get('classes') or dataset.get('classes')
    return list(names) if isinstance(names, (list, tuple)) else None


# ------------------------------------------------------------ entry points


def _config_arguments(parser) -> None:
    from mmengine.config import DictAction
    parser.add_argument('config', help='config file path (any framework)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys, e.g. '
        'train_dataloader.dataset.data_root=data/demo/ade20k')


def print_config_main(argv: Optional[List[str]] = None) -> None:
    """``tools/misc/print_config.py``: print the resolved config."""
    import argparse

    from .config import load_config
    parser = argparse.ArgumentParser(
        prog='tools/misc/print_config.py',
        description='Print a config with its bases and --cfg-options '
        'resolved (writes nothing).')
    _config_arguments(parser)
    args = parser.parse_args(argv)
    print(print_config(load_config(args.config, args.cfg_options)))


def browse_dataset_main(argv: Optional[List[str]] = None) -> None:
    """``tools/analysis_tools/browse_dataset.py``."""
    import argparse

    from .config import load_config
    parser = argparse.ArgumentParser(
        prog='tools/analysis_tools/browse_dataset.py',
        description='Draw dataset items after the pipeline, with their '
        'ground truth (classification, segmentation and detection configs).')
    _config_arguments(parser)
    parser.add_argument('--output-dir', help='save the drawn images here')
    parser.add_argument(
        '--phase',
        default='train',
        choices=['train', 'val', 'test'],
        help='which dataloader\'s dataset to browse (default train)')
    parser.add_argument(
        '--not-show',
        action='store_true',
        help='do not show the images in a window')
    parser.add_argument(
        '--max', type=int, help='draw the first MAX items only')
    parser.add_argument(
        '--show-interval',
        type=float,
        default=2,
        help='seconds each shown image stays up (default 2)')
    args = parser.parse_args(argv)
    if args.not_show and not args.output_dir:
        raise UserError('--not-show without --output-dir draws nothing; '
                        'give --output-dir DIR')
    cfg = load_config(args.config, args.cfg_options)
    written = browse_dataset(cfg, args.output_dir, args.phase,
                             not args.not_show, args.max, args.show_interval)
    if args.output_dir:
        print(f'{len(written)} images written to {args.output_dir}')


def analyze_logs_main(argv: Optional[List[str]] = None) -> None:
    """``tools/analysis_tools/analyze_logs.py``."""
    import argparse
    parser = argparse.ArgumentParser(
        prog='tools/analysis_tools/analyze_logs.py',
        description='Plot curves or time the iterations of mmengine logs '
        '(WORK_DIR/TIMESTAMP/vis_data/scalars.json).')
    commands = parser.add_subparsers(dest='command', required=True)
    plot = commands.add_parser('plot_curve', help='plot keys to an image')
    plot.add_argument('json_logs', nargs='+', help='scalars.json files')
    plot.add_argument('--keys', nargs='+', default=['loss'],
                      help='scalars to plot (default loss)')
    plot.add_argument('--title', help='title of the figure')
    plot.add_argument('--legend', nargs='+',
                      help='one label per log and key')
    plot.add_argument('--out', required=True,
                      help='image file to write, e.g. curve.png')
    timing = commands.add_parser('cal_train_time',
                                 help='time per training iteration')
    timing.add_argument('json_logs', nargs='+', help='scalars.json files')
    timing.add_argument('--include-outliers', action='store_true',
                        help='keep the first iteration (warm-up)')
    args = parser.parse_args(argv)
    if args.command == 'plot_curve':
        out = plot_curve(args.json_logs, args.keys, args.out, args.title,
                         args.legend)
        print(f'curve written to {out}')
        return
    for path in args.json_logs:
        stats = cal_train_time(path, args.include_outliers)
        print(f'{path}: {stats["count"]} iterations, '
              f'{stats["mean"]:.4f} s/iter on average (std '
              f'{stats["std"]:.4f}), slowest {stats["slowest"]:.4f} s, '
              f'fastest {stats["fastest"]:.4f} s')


def confusion_matrix_main(argv: Optional[List[str]] = None) -> None:
    """``tools/analysis_tools/confusion_matrix.py``."""
    import argparse

    from .config import load_config
    parser = argparse.ArgumentParser(
        prog='tools/analysis_tools/confusion_matrix.py',
        description='Confusion matrix of a classification config\'s test '
        'results (tools/test.py CONFIG CHECKPOINT --out RESULT.pkl).')
    _config_arguments(parser)
    parser.add_argument('results', help='the pickle of tools/test.py --out')
    parser.add_argument('--out', help='also save the matrix as an image')
    parser.add_argument('--include-values', action='store_true',
                        help='write the counts into the image cells')
    parser.add_argument(
        '--trust', action='store_true',
        help='read the results pickle (unpickling can run code stored in '
        'it: only for files you made or trust)')
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    matrix = confusion_matrix(cfg, args.results, trust=args.trust)
    names = class_names(cfg) or [str(i) for i in range(len(matrix))]
    width = max(len(n) for n in names)
    print(' ' * width + ' ' + ' '.join(f'{i:>5d}' for i in range(len(names))))
    for name, row in zip(names, matrix.tolist()):
        print(f'{name:>{width}} ' + ' '.join(f'{int(v):>5d}' for v in row))
    if args.out:
        import matplotlib
        matplotlib.use('Agg')
        from mmpretrain.evaluation import ConfusionMatrix
        figure = ConfusionMatrix.plot(
            matrix, include_values=args.include_values, classes=names,
            show=False)
        figure.savefig(args.out)
        print(f'confusion matrix image written to {args.out}')
