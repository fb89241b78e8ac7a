"""Preflight: check a run's files before anything is built.

Without it a missing dataset shows up as a ``FileNotFoundError`` deep in
the dataset's ``load_data_list`` (hundreds of lines into the log, after
the model is built), a missing pretrained checkpoint only when
``init_weights`` runs (after the datasets are built), and under torchrun
the screen ends with its ``ChildFailedError`` summary. Each launch then
reveals one missing prerequisite. :func:`preflight` looks at the config
alone (no import of a dataset or model class, nothing read but directory
entries) and reports every missing file at once, in one
:class:`~mmcae.utils.errors.UserError`.

Why our own: mmengine, mmpretrain, mmseg and mmdet check paths only while
building a dataset or loading weights, one at a time. The paths checked
here are joined exactly as mmengine's ``BaseDataset._join_prefix`` joins
them (``data_root`` + relative ``ann_file`` / ``data_prefix`` values; an
absolute value, or an empty ``data_root``, leaves the value alone).

What is checked:

* every dataset dict under the dataloaders the run uses (``train`` and
  ``val`` for training, ``test`` for testing), wrappers included
  (``RepeatDataset``, ``ConcatDataset``, ``ClassBalancedDataset``... any
  nested ``dataset`` / ``datasets``): keys ending in ``data_root`` (a
  directory), ``data_prefix`` (directories; a string or a dict of them)
  and ``ann_file`` (a file or directory);
* keys ending in ``ann_file`` of the evaluators of those loops (mmdet's
  ``CocoMetric``);
* the checkpoints of the model's weight initializers (every ``init_cfg``
  whose type ends in ``Pretrained``: mmengine's ``Pretrained``,
  ``mmcae.StrictPretrained``, ``mmcae.ViTPretrained``), of a model's
  ``pretrained='...'`` and of ``load_from`` (training only: the test tool
  checks its checkpoint argument itself and builds no initializer).

A value with ``://`` (a URL, ``s3://``, ``open-mmlab://``...) is not
checked: mmengine downloads or reads it through its file backends.
"""
import os
import os.path as osp
from typing import Any, Iterator, List, Optional, Sequence, Tuple

from .errors import UserError

#: where the README's sections live (written for issue 21)
DATA_DOC = 'docs/datasets.md ("Prepare datasets")'
WEIGHTS_DOC = 'docs/weights.md ("Pretrained weights")'

#: environment variables that hold a process's global rank, by launcher
_RANK_VARS = ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK', 'PMI_RANK')


class PreflightError(UserError):
    """Files a run needs are missing; the message has one line per
    problem. ``problems`` holds those lines."""

    def __init__(self, message: str, problems: Sequence[str] = ()):
        super().__init__(message)
        self.problems = list(problems)


def _is_remote(path: str) -> bool:
    return '://' in path or path.startswith('s3:')


def _join(data_root: Optional[str], value: str) -> str:
    """``BaseDataset._join_prefix`` for one value (``~`` expanded, as
    mmpretrain does)."""
    value = osp.expanduser(value)
    if data_root and not osp.isabs(value):
        return osp.join(osp.expanduser(data_root), value)
    return value


def _shown(path: str) -> str:
    """The path, with the directory a relative one is relative to."""
    if osp.isabs(path):
        return f"'{path}'"
    return f"'{path}' (relative to '{os.getcwd()}')"


def _type_name(node: dict) -> str:
    name = node.get('type', '')
    if not isinstance(name, str):  # a class object (lazy or pure-Python)
        name = getattr(name, '__name__', str(name))
    return name.split('.')[-1]


# ------------------------------------------------------------------ layouts
def _prefixes(node: dict) -> dict:
    prefix = node.get('data_prefix', '')
    if isinstance(prefix, str):
        split = node.get('split')  # mmpretrain's ImageNet: split='train'
        if not prefix and isinstance(split, str):
            prefix = split
        return dict(img_path=prefix)
    return dict(prefix) if isinstance(prefix, dict) else {}


#: mmpretrain's CIFAR classes -> the folder they read under data_root (not
#: data_root/<split>: the split selects pickled batches inside it)
_CIFAR_FOLDERS = {'CIFAR10': 'cifar-10-batches-py',
                  'CIFAR100': 'cifar-100-python'}


def _layout(node: dict) -> str:
    """A short tree of what a dataset dict expects under its data_root."""
    name = _type_name(node)
    prefixes = _prefixes(node)
    ann_file = node.get('ann_file') or ''

    def sub(value: str) -> str:
        value = value.rstrip('/')
        return value + '/' if value else ''

    if name in _CIFAR_FOLDERS:
        return (f'{name} layout (the official python version): '
                f'{_CIFAR_FOLDERS[name]}/ holding the pickled batches')
    if name == 'CamVidDataset' and ann_file:
        return (f"CamVid (SegNet) layout: {ann_file} (lines 'IMAGE LABEL', "
                'read as their last two path components: train/X.png '
                'trainannot/X.png), the folders they name')
    if name.startswith('Coco') or 'Coco' in name:
        return (f"COCO layout: {ann_file or 'annotations/instances_*.json'}"
                f", {sub(prefixes.get('img', ''))}*.jpg")
    if 'img_path' in prefixes and 'seg_map_path' in prefixes:
        img_suffix = node.get('img_suffix', '.jpg')
        seg_suffix = node.get('seg_map_suffix', '.png')
        what = 'ADE20K layout' if name.startswith('ADE20K') else \
            f'{name} layout'
        return (f"{what}: {sub(prefixes['img_path'])}*{img_suffix}, "
                f"{sub(prefixes['seg_map_path'])}*{seg_suffix}")
    if name in ('ImageNet', 'ImageNet21k', 'CustomDataset') or \
            'img_path' in prefixes:
        folder = sub(prefixes.get('img_path', ''))
        what = 'ImageNet layout' if name.startswith('ImageNet') else \
            f'{name or "dataset"} layout'
        if ann_file:
            return (f"{what}: {ann_file} (lines 'relative/path.JPEG "
                    f"label'), {folder}<images named in it>")
        if name.startswith('ImageNet'):
            split = node.get('split') or 'train'
            return (f'{what}: {folder}n01440764/*.JPEG (one folder per '
                    f"class; or {folder}*.JPEG listed in meta/{split}.txt)")
        return f'{what}: {folder}<class>/*.jpg (one folder per class)'
    parts = [p for p in [ann_file, *prefixes.values()] if p]
    return f"{name or 'dataset'} layout: " + (', '.join(parts) or '?')


#: dataset type (prefix) -> its section in docs/datasets.md
_SECTIONS = (('ADE20K', 'ADE20K'), ('Coco', 'COCO 2017'),
             ('ImageNet', 'ImageNet-1k'), ('Food101', 'Food-101'),
             ('Flowers102', 'Flowers-102'), ('INat', 'iNaturalist'),
             ('CIFAR10', 'CIFAR-10'), ('CamVid', 'CamVid'),
             ('CustomDataset', 'Custom classification sets'))


def _doc_section(node: dict) -> Optional[str]:
    name = _type_name(node)
    for prefix, section in _SECTIONS:
        if name.startswith(prefix):
            return section
    return None


# ------------------------------------------------------------- walk config
def _walk_datasets(node: Any, key: str) -> Iterator[Tuple[str, dict]]:
    """(key, dict) for every dataset-like dict under ``node`` (one with a
    key ending in ``data_root``, ``data_prefix`` or ``ann_file``);
    pipelines are skipped."""
    if isinstance(node, dict):
        if any(
                str(k).endswith(('data_root', 'data_prefix', 'ann_file'))
                for k in node):
            yield key, node
        for child_key, child in node.items():
            if child_key in ('pipeline', 'metainfo', 'backend_args'):
                continue
            if isinstance(child, (dict, list, tuple)):
                yield from _walk_datasets(child, f'{key}.{child_key}')
    elif isinstance(node, (list, tuple)):
        for index, child in enumerate(node):
            yield from _walk_datasets(child, f'{key}.{index}')


def _dataset_problems(key: str, node: dict) -> List[str]:
    problems = []
    layout = _layout(node)
    root_value = node.get('data_root')
    if isinstance(root_value, str) and root_value:
        what, _, tree = layout.partition(': ')
        layout = f"{what}: {root_value.rstrip('/')}/{{{tree}}}"

    section = _doc_section(node)
    prepare = f'Prepare the data as {DATA_DOC} says' + (
        f', section "{section}"' if section else '')
    if isinstance(root_value, str) and root_value.rstrip('/').startswith(
            'data/demo'):  # the generated demo sets
        prepare = ('Make the demo data (python tools/misc/make_demo_data.py '
                   f"--out {root_value.rstrip('/').rsplit('/', 1)[0]})")

    def report(sub_key: str, value: str, path: str, kind: str) -> None:
        problems.append(
            f"{key}.{sub_key}='{value}': {kind} {_shown(path)} not found; "
            f'expected {layout}. {prepare}, or point the config at it: '
            f'--cfg-options {key}.{sub_key}=PATH')

    roots = {k: v for k, v in node.items() if str(k).endswith('data_root')}
    data_root = node.get('data_root')
    for sub_key, value in roots.items():
        if isinstance(value, str) and value and not _is_remote(value) and \
                not osp.isdir(osp.expanduser(value)):
            report(sub_key, value, osp.expanduser(value), 'directory')
    root_missing = isinstance(data_root, str) and data_root and \
        not _is_remote(data_root) and not osp.isdir(osp.expanduser(data_root))
    for sub_key, value in node.items():
        sub_key = str(sub_key)
        if sub_key.endswith('ann_file') and isinstance(value, str) and value:
            path = _join(data_root, value)
            if _is_remote(path) or (root_missing and not osp.isabs(value)):
                continue
            if not osp.exists(path):
                report(sub_key, value, path, 'annotation file')
        elif sub_key.endswith('data_prefix'):
            values = {'': value} if isinstance(value, str) else \
                (value if isinstance(value, dict) else {})
            for prefix_key, prefix in values.items():
                if not isinstance(prefix, str) or not prefix:
                    continue
                path = _join(data_root, prefix)
                if _is_remote(path) or (root_missing and
                                        not osp.isabs(osp.expanduser(prefix))):
                    continue
                if not osp.isdir(path):
                    full_key = sub_key + (f'.{prefix_key}'
                                          if prefix_key else '')
                    report(full_key, prefix, path, 'directory')
    cifar_folder = _CIFAR_FOLDERS.get(_type_name(node))
    if cifar_folder and isinstance(data_root, str) and data_root and \
            not root_missing and not _is_remote(data_root):
        path = _join(data_root, cifar_folder)
        if not osp.isdir(path):
            report('data_root', data_root, path, 'directory')
        return problems
    split = node.get('split')
    if isinstance(split, str) and split and not node.get('data_prefix') \
            and isinstance(data_root, str) and data_root and \
            not root_missing and not _is_remote(data_root):
        # mmpretrain's ImageNet reads data_root/<split>
        path = _join(data_root, split)
        if not osp.isdir(path):
            problems.append(
                f"{key}.data_root='{data_root}': directory {_shown(path)} "
                f"(split='{split}') not found; expected {layout}. "
                f'{prepare}, or point the config at it: '
                f'--cfg-options {key}.data_root=PATH')
    return problems


def _evaluator_problems(key: str, node: Any) -> List[str]:
    problems = []
    if isinstance(node, dict):
        for sub_key, value in node.items():
            if str(sub_key).endswith('ann_file') and isinstance(value, str) \
                    and value and not _is_remote(value) and \
                    not osp.exists(osp.expanduser(value)):
                problems.append(
                    f"{key}.{sub_key}='{value}': annotation file "
                    f'{_shown(osp.expanduser(value))} not found (the '
                    "evaluator reads it; it is not joined with the "
                    f"dataset's data_root). Prepare the data as {DATA_DOC} "
                    f'says, or: --cfg-options {key}.{sub_key}=PATH')
            elif isinstance(value, (dict, list, tuple)) and \
                    sub_key != 'metrics':
                problems += _evaluator_problems(f'{key}.{sub_key}', value)
        for index, metric in enumerate(node.get('metrics') or []):
            problems += _evaluator_problems(f'{key}.metrics.{index}', metric)
    elif isinstance(node, (list, tuple)):
        for index, child in enumerate(node):
            problems += _evaluator_problems(f'{key}.{index}', child)
    return problems


def _checkpoint_problem(key: str, value: str, what: str) -> Optional[str]:
    if not isinstance(value, str) or not value or _is_remote(value):
        return None
    path = osp.expanduser(value)
    if osp.isfile(path):
        return None
    kind = 'is a directory, not a file' if osp.isdir(path) else 'not found'
    return (f"{key}='{value}': {what} {_shown(path)} {kind}. Download or "
            f'convert it as {WEIGHTS_DOC} says, or point the config at it: '
            f'--cfg-options {key}=PATH (a URL works too)')


def _walk_weights(node: Any, key: str) -> Iterator[Tuple[str, str]]:
    """(key, checkpoint) for every ``init_cfg`` of a ``*Pretrained`` type
    and every ``pretrained='...'`` string under ``node``."""
    if isinstance(node, dict):
        for child_key, child in node.items():
            child_path = f'{key}.{child_key}'
            if child_key == 'init_cfg':
                inits = child if isinstance(child, (list, tuple)) else [child]
                for index, init in enumerate(inits):
                    if isinstance(init, dict) and \
                            _type_name(init).endswith('Pretrained'):
                        init_key = f'{child_path}.{index}' if isinstance(
                            child, (list, tuple)) else child_path
                        yield (f'{init_key}.checkpoint',
                               init.get('checkpoint'))
            elif child_key == 'pretrained' and isinstance(child, str):
                yield child_path, child
            if isinstance(child, (dict, list, tuple)) and \
                    child_key != 'init_cfg':
                yield from _walk_weights(child, child_path)
    elif isinstance(node, (list, tuple)):
        for index, child in enumerate(node):
            yield from _walk_weights(child, f'{key}.{index}')


# --------------------------------------------------------------- the check
def find_problems(cfg,
                  loops: Sequence[str] = ('train', 'val'),
                  check_weights: bool = True) -> List[str]:
    """Every missing file of a run, one line each.

    Args:
        cfg (Config | dict): the run's config, flags applied.
        loops (Sequence[str]): the loops that will run: their
            ``<loop>_dataloader`` and ``<loop>_evaluator`` are checked.
        check_weights (bool): check the model's pretrained checkpoints and
            ``load_from`` (training).

    Returns:
        list[str]: one line per problem (empty: nothing missing).
    """
    problems: List[str] = []
    for loop in loops:
        loader = cfg.get(f'{loop}_dataloader')
        if isinstance(loader, dict) and loader.get('dataset') is not None:
            for key, node in _walk_datasets(loader['dataset'],
                                            f'{loop}_dataloader.dataset'):
                problems += _dataset_problems(key, node)
        evaluator = cfg.get(f'{loop}_evaluator')
        if evaluator is not None and loader is not None:
            problems += _evaluator_problems(f'{loop}_evaluator', evaluator)
    if check_weights:
        model = cfg.get('model')
        if model is not None:
            for key, value in _walk_weights(model, 'model'):
                problem = _checkpoint_problem(key, value,
                                              'pretrained checkpoint')
                if problem:
                    problems.append(problem)
        problem = _checkpoint_problem('load_from', cfg.get('load_from'),
                                      'checkpoint')
        if problem:
            problems.append(problem)
    return list(dict.fromkeys(problems))  # a shared dict is reported once


def process_rank() -> int:
    """This process's global rank from its launcher's environment (the
    check runs before the process group exists); 0 when launched alone."""
    for name in _RANK_VARS:
        value = os.environ.get(name)
        if value is not None and value.strip().isdigit():
            return int(value)
    return 0


def preflight(cfg,
              loops: Sequence[str] = ('train', 'val'),
              check_weights: bool = True,
              rank: Optional[int] = None) -> None:
    """Raise one error listing every missing file of a run.

    Runs in every process; rank 0's message lists the problems, the other
    ranks' say only that rank 0 lists them (so that N processes do not
    print N copies).

    Args:
        cfg (Config): the run's config, flags applied.
        loops, check_weights: see :func:`find_problems`.
        rank (int, optional): the process's global rank; defaults to
            :func:`process_rank`.

    Raises:
        PreflightError: a :class:`UserError` (the tools print it and exit
            with status 2), one line per problem.
    """
    problems = find_problems(cfg, loops, check_weights)
    if not problems:
        return
    rank = process_rank() if rank is None else rank
    count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
    config = getattr(cfg, 'filename', None) or '<config>'
    if rank != 0:
        raise PreflightError(
            f"rank {rank}: preflight check of '{config}' found {count} "
            '(rank 0 lists them)', problems)
    lines = '\n'.join(f'  - {problem}' for problem in problems)
    raise PreflightError(
        f"preflight check of '{config}' found {count} (nothing was "
        f'built):\n{lines}', problems)


def run_launcher_check(argv: Optional[List[str]] = None) -> int:
    """``tools/misc/preflight.py TOOL [tool args]``: what ``TOOL``
    (``tools/train.py`` or ``tools/test.py``) would check before building
    its runner, run once by ``tools/dist_launch.sh`` before torchrun.

    With N processes, every rank would fail the same way and torchrun's
    ``ChildFailedError`` summary would come last; checked here, torchrun
    never starts and the message is the last thing printed. The tool's
    own flags are parsed and applied as the tool does (so ``--resume``,
    ``--no-validate``, ``--cfg-options`` count), with ``--launcher none``
    (no process group is made here).

    Returns:
        int: 0 (nothing missing) or 2 (the message was printed, prefixed
        with the tool's name).
    """
    import sys

    from . import cli
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print('usage: tools/misc/preflight.py {tools/train.py,tools/test.py} '
              '[tool args]', file=sys.stderr)
        return 2
    tool, tool_args = argv[0], argv[1:]
    if osp.basename(tool) == 'test.py':
        parser, build = cli.build_test_parser, cli.build_test_config
    else:
        parser, build = cli.build_train_parser, cli.build_train_config

    def check(args_list):
        args = parser().parse_args(args_list)
        args.launcher = 'none'
        build(args)

    # one check per node, before any rank exists: the full message (not
    # the other ranks' short line, were SLURM_PROCID & co. set)
    saved = sys.argv[0], os.environ.get('RANK')
    os.environ['RANK'] = '0'
    sys.argv[0] = tool  # messages start with the tool's name
    try:
        return cli.run_tool(check, tool_args)
    finally:
        sys.argv[0] = saved[0]
        if saved[1] is None:
            del os.environ['RANK']
        else:
            os.environ['RANK'] = saved[1]
