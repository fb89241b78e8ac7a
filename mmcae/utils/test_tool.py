"""``tools/test.py --show / --show-dir / --out``: the test tools of
mmpretrain, mmseg and mmdet in one place.

Each framework's ``tools/test.py`` turns these flags into settings of its
own visualization hook (and mmdet's ``--out`` into its own dumper); what
this module does is pick the recipe of the config's ``default_scope``:

- mmseg (``SegVisualizationHook``): ``draw=True``, ``interval=1``,
  ``show`` / ``wait_time``; images are written by the visualizer's
  backends, so ``--show-dir`` becomes ``visualizer.save_dir`` (files land in
  ``DIR/vis_data/vis_image/``), as mmseg's tool does.
- mmdet (``DetVisualizationHook``): ``draw=True``, ``interval=1``,
  ``show`` / ``wait_time`` and ``test_out_dir=DIR`` (an absolute path, so
  that the hook's join with ``work_dir/timestamp`` keeps it).
- mmpretrain (``VisualizationHook``): ``enable=True``, ``interval=1``,
  ``show``, ``out_dir=DIR``, ``wait_time``.

Unlike the upstream tools, ``interval`` is set to 1 here: upstream keeps
the config's interval (50 / 5000 by default) and a small test set then
saves nothing, which is never what ``--show-dir`` asks for.

``--out`` for mmdet configs uses mmdet's ``DumpDetResults`` (masks encoded
as COCO RLE: a dense boolean mask per instance made an 870 MB pickle for
200 demo images; 8 small demo images: 7.3 MB dense, 247 KB
as RLE); other scopes use mmengine's ``DumpResults``.
"""
import os.path as osp
from typing import Optional

from mmengine.config import Config

from .errors import UserError

#: the hook each scope's test tool switches on
VIS_HOOKS = {
    'mmseg': 'SegVisualizationHook',
    'mmdet': 'DetVisualizationHook',
    'mmpretrain': 'VisualizationHook',
}


def _scope(cfg: Config) -> str:
    return cfg.get('default_scope') or 'mmpretrain'


def enable_visualization(cfg: Config,
                         show: bool = False,
                         show_dir: Optional[str] = None,
                         wait_time: float = 2.0) -> Optional[str]:
    """Switch the config's visualization hook on, as the framework's own
    ``tools/test.py`` does for ``--show`` / ``--show-dir``.

    Args:
        cfg (Config): the test config (changed in place).
        show (bool): show each drawn image in a window.
        show_dir (str, optional): save every drawn test image here.
        wait_time (float): seconds each shown image stays up.

    Returns:
        str or None: the directory the images are written to (for mmseg
        the visualizer's ``vis_data/vis_image`` under ``show_dir``).

    Raises:
        UserError: the config's scope has no known visualization hook.
    """
    if not show and not show_dir:
        return None
    scope = _scope(cfg)
    hook_type = VIS_HOOKS.get(scope)
    if hook_type is None:
        raise UserError(
            f"--show / --show-dir: config '{cfg.filename}' has "
            f"default_scope='{scope}'; only {sorted(VIS_HOOKS)} configs have "
            'a visualization hook (set default_scope or drop the flag).')
    show_dir = osp.abspath(osp.expanduser(show_dir)) if show_dir else None
    default_hooks = cfg.get('default_hooks')
    if default_hooks is None:
        cfg.default_hooks = default_hooks = Config(dict())
    hook = default_hooks.get('visualization')
    if hook is None or hook.get('type', hook_type).split('.')[-1] != \
            hook_type:
        hook = dict(type=hook_type)
        default_hooks['visualization'] = hook
    hook['interval'] = 1
    if scope == 'mmpretrain':
        hook['enable'] = True
        hook['show'] = show
        if show:
            hook['wait_time'] = wait_time
        if show_dir:
            hook['out_dir'] = show_dir
        return show_dir
    hook['draw'] = True
    if show:
        hook['show'] = True
        hook['wait_time'] = wait_time
    if scope == 'mmdet':
        if show_dir:
            hook['test_out_dir'] = show_dir
        return show_dir
    # mmseg: the visualizer's backends write the images
    if show_dir:
        visualizer = cfg.get('visualizer')
        if visualizer is None:
            raise UserError(
                f"--show-dir: config '{cfg.filename}' has no visualizer "
                "(mmseg's SegLocalVisualizer writes the images); add "
                "visualizer = dict(type='SegLocalVisualizer', "
                "vis_backends=[dict(type='LocalVisBackend')]).")
        visualizer['save_dir'] = show_dir
        return osp.join(show_dir, 'vis_data', 'vis_image')
    return None


def add_dump_metric(runner, out: str) -> None:
    """Append the dumper of ``--out`` to the runner's test evaluator:
    mmdet's ``DumpDetResults`` (RLE masks) for mmdet configs, else
    mmengine's ``DumpResults``.

    Raises:
        UserError: ``out`` is not a ``.pkl`` / ``.pickle`` file.
    """
    if not out.endswith(('.pkl', '.pickle')):
        raise UserError(f"--out '{out}': the predictions are written as a "
                        'pickle; name a .pkl or .pickle file.')
    if _scope(runner.cfg) == 'mmdet':
        from mmdet.evaluation import DumpDetResults as Dump
    else:
        from mmengine.evaluator import DumpResults as Dump
    runner.test_evaluator.metrics.append(Dump(out_file_path=out))


def log_metrics_once(runner) -> None:
    """Print the last test iteration once: as the metric line.

    mmengine's ``LoggerHook`` logs a progress line (``Epoch(test)
    [200/200] eta: 0:00:00 time: ...``) after every ``interval``-th test
    iteration and then the metric line (``Epoch(test) [200/200]
    coco/bbox_mAP: ...``) after the epoch; when the number of test
    iterations is a multiple of the interval (200 images, interval 5) the
    final ``[N/N]`` line appears twice. The progress line of the last
    iteration says nothing the metric line does not, so it is skipped.
    """
    from mmengine.hooks import LoggerHook
    for hook in runner.hooks:
        if not isinstance(hook, LoggerHook):
            continue
        after_test_iter = hook.after_test_iter

        def progress_but_last(runner, batch_idx, data_batch=None,
                              outputs=None, _log=after_test_iter):
            if batch_idx + 1 == len(runner.test_dataloader):
                return
            _log(runner, batch_idx, data_batch, outputs)

        hook.after_test_iter = progress_but_last
