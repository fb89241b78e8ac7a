"""Config loading with errors that name the file, key and value at fault."""
import difflib
import glob
import inspect
import itertools
import os.path as osp
from typing import Any, FrozenSet, Iterator, List, NamedTuple, Optional, Tuple

from mmengine.config import Config

from .errors import UserError
from .keywords import accepted_keywords, init_parameters

#: config keys whose string value names a registered class
_TYPE_KEYS = ('type', 'constructor', 'runner_type')


def _similar_configs(path: str, limit: int = 3) -> List[str]:
    """Config files under ./configs whose path resembles ``path``."""
    known = glob.glob(osp.join('configs', '**', '*.py'), recursive=True)
    known = [p for p in known if '_base_' not in p]
    return difflib.get_close_matches(path, known, n=limit, cutoff=0.6)


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config file and merge ``--cfg-options`` into it.

    Args:
        path (str): the config file.
        cfg_options (dict, optional): ``key=value`` overrides.

    Returns:
        Config: the merged config, with its mmcae types
        (:func:`check_mmcae_types`) and its keyword names
        (:func:`check_config_keys`) checked.

    Raises:
        UserError: the file does not exist, does not parse, names an
            ``mmcae.`` type that no mmcae registry holds, gives a class a
            keyword it does not take, or has a mask generator that does
            not fit the model.
    """
    if not osp.isfile(path):
        hint = ''
        similar = _similar_configs(path)
        if similar:
            hint = ' Did you mean: ' + ', '.join(similar) + '?'
        raise UserError(f"config file not found: '{path}'.{hint}")
    try:
        cfg = Config.fromfile(path)
    except (SyntaxError, ImportError, KeyError, TypeError, ValueError,
            OSError) as err:  # OSError: a missing or unreadable _base_
        raise UserError(f"config file '{path}' could not be read: "
                        f'{type(err).__name__}: {err}') from err
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    check_mmcae_types(cfg, path)
    check_config_keys(cfg, path)
    return cfg


def _walk_types(node: Any, key_path: str = '') -> Iterator[Tuple[str, str]]:
    """Yield (dotted key, value) for every type-naming string in a config."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = f'{key_path}.{key}' if key_path else str(key)
            if key in _TYPE_KEYS and isinstance(value, str):
                yield child, value
            else:
                yield from _walk_types(value, child)
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _walk_types(value, f'{key_path}[{index}]')


def registered_mmcae_names() -> List[str]:
    """Every class name registered in any mmcae registry (imports the
    registries' locations first, as a build would)."""
    from mmcae.registry import ALL_REGISTRIES
    names = set()
    for registry in ALL_REGISTRIES.values():
        registry.import_from_location()
        names.update(registry.module_dict)
    return sorted(names)


def check_mmcae_types(cfg: Config, path: str = '<config>') -> None:
    """Check that every ``mmcae.X`` type in a config is registered.

    mmengine reports an unknown type only when it builds it, possibly deep
    into a run (e.g. the test dataloader after hours of training) and
    without the config key. This check runs before anything is built.

    Args:
        cfg (Config): the config.
        path (str): its file, for the message.

    Raises:
        UserError: naming the key, the value and close registered names.
    """
    wanted = [(key, value) for key, value in _walk_types(cfg._cfg_dict)
              if value.startswith('mmcae.')]
    if not wanted:
        return
    known = registered_mmcae_names()
    for key, value in wanted:
        name = value[len('mmcae.'):]
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = (' Did you mean ' + ', '.join(f"'mmcae.{c}'" for c in close) +
                '?') if close else ''
        raise UserError(
            f"config '{path}': {key} = '{value}' names no class registered "
            f'in mmcae ({len(known)} registered).{hint}')


# ------------------------------------------------------------ keyword names
#: keys that mmengine's builders read themselves and never pass to the
#: class: ``type`` and ``_scope_`` (``build_from_cfg``)
_BUILDER_KEYS = frozenset({'type', '_scope_'})
#: + ``priority``, popped by ``Runner.register_hook``
_HOOK_KEYS = _BUILDER_KEYS | {'priority'}
#: + what ``build_scheduler_from_cfg`` pops (``epoch_length`` is a default
#: argument the runner passes; a config rarely sets it)
_SCHEDULER_KEYS = _BUILDER_KEYS | {'convert_to_iter_based', 'epoch_length'}
#: + what ``build_optim_wrapper`` pops before it builds the wrapper
_WRAPPER_KEYS = _BUILDER_KEYS | {'constructor', 'paramwise_cfg'}
_DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


class _Target(NamedTuple):
    """One config dict that mmengine turns into ``type(**keys)``."""
    key: str  # its dotted key, e.g. 'default_hooks.checkpoint'
    node: dict
    registry: Any  # the mmengine root Registry it is built from
    builder_keys: FrozenSet[str]
    default_type: Optional[str] = None


def _hook_targets(cfg: Config) -> Iterator[_Target]:
    from mmengine.registry import HOOKS
    default_hooks = cfg.get('default_hooks')
    if isinstance(default_hooks, dict):
        for name, hook in default_hooks.items():
            if isinstance(hook, dict):  # None disables a default hook
                yield _Target(f'default_hooks.{name}', hook, HOOKS, _HOOK_KEYS)
    custom_hooks = cfg.get('custom_hooks')
    if isinstance(custom_hooks, (list, tuple)):
        for index, hook in enumerate(custom_hooks):
            if isinstance(hook, dict):
                yield _Target(f'custom_hooks[{index}]', hook, HOOKS,
                              _HOOK_KEYS)


def _optim_targets(cfg: Config) -> Iterator[_Target]:
    """The wrapper and the optimizer, when mmengine's default constructor
    (or a subclass, which reads the same keys) builds them; a config
    without ``optimizer`` is the multi-optimizer case, built by a custom
    constructor that may read its keys in any way."""
    from mmengine.optim import DefaultOptimWrapperConstructor
    from mmengine.registry import (OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                                   OPTIMIZERS)
    wrapper = cfg.get('optim_wrapper')
    if not isinstance(wrapper, dict) or not isinstance(
            wrapper.get('optimizer'), dict):
        return
    constructor = _resolve(
        OPTIM_WRAPPER_CONSTRUCTORS,
        wrapper.get('constructor', 'DefaultOptimWrapperConstructor'), None)
    if not (inspect.isclass(constructor)
            and issubclass(constructor, DefaultOptimWrapperConstructor)):
        return
    # DefaultOptimWrapperConstructor.__call__: setdefault('type', ...)
    yield _Target('optim_wrapper', wrapper, OPTIM_WRAPPERS, _WRAPPER_KEYS,
                  'OptimWrapper')
    yield _Target('optim_wrapper.optimizer', wrapper['optimizer'], OPTIMIZERS,
                  _BUILDER_KEYS)


def _scheduler_targets(cfg: Config) -> Iterator[_Target]:
    from mmengine.registry import PARAM_SCHEDULERS

    def entries(node: Any, key: str) -> Iterator[_Target]:
        if isinstance(node, dict) and 'type' in node:
            yield _Target(key, node, PARAM_SCHEDULERS, _SCHEDULER_KEYS)
        elif isinstance(node, dict):  # one list per optimizer (a dict)
            for name, value in node.items():
                yield from entries(value, f'{key}.{name}')
        elif isinstance(node, (list, tuple)):
            for index, value in enumerate(node):
                yield from entries(value, f'{key}[{index}]')

    yield from entries(cfg.get('param_scheduler'), 'param_scheduler')


def _dataset_configs(node: Any, key: str) -> Iterator[Tuple[str, dict]]:
    """A dataset config and the datasets that wrappers (RepeatDataset,
    ConcatDataset, ...) take as ``dataset=`` or ``datasets=``."""
    if not isinstance(node, dict):
        return
    yield key, node
    yield from _dataset_configs(node.get('dataset'), f'{key}.dataset')
    datasets = node.get('datasets')
    if isinstance(datasets, (list, tuple)):
        for index, child in enumerate(datasets):
            yield from _dataset_configs(child, f'{key}.datasets[{index}]')


def _dataset_targets(cfg: Config) -> Iterator[_Target]:
    from mmengine.registry import DATASETS
    for loader in _DATALOADERS:
        loader_cfg = cfg.get(loader)
        if not isinstance(loader_cfg, dict):
            continue
        for key, node in _dataset_configs(
                loader_cfg.get('dataset'), f'{loader}.dataset'):
            yield _Target(key, node, DATASETS, _BUILDER_KEYS)


def _resolve(registry, type_value: Any, scope: Optional[str]) -> Any:
    """What ``registry`` builds for ``type_value`` under ``scope`` (a
    ``_scope_`` key, or None for the default scope), as mmengine's
    ``build_from_cfg`` looks it up; None when it is not registered (the
    build reports that)."""
    if not isinstance(type_value, str):
        # a class or function given directly (pure-Python configs)
        return type_value if callable(type_value) else None
    with registry.switch_scope_and_registry(scope) as scoped:
        try:
            return scoped.get(type_value)
        except ImportError:
            # a registry location that does not import: the build raises
            # the same error with its traceback
            return None


def _qualified_name(obj: Any) -> str:
    name = getattr(obj, '__qualname__', getattr(obj, '__name__', repr(obj)))
    module = getattr(obj, '__module__', None)
    return f'{name} ({module})' if module else name


def _runner_class(cfg: Config) -> Optional[type]:
    """The runner ``runner_type`` names (its ``save_checkpoint`` receives
    the CheckpointHook's extra keywords), or None for mmengine's."""
    from mmengine.registry import RUNNERS
    if 'runner_type' not in cfg:
        return None
    runner = _resolve(RUNNERS, cfg.runner_type, None)
    return runner if inspect.isclass(runner) else None


def _keyword_problems(cfg: Config) -> List[str]:
    """One sentence per config key that its class does not take."""
    problems = []
    runner_cls = _runner_class(cfg)
    for target in itertools.chain(
            _hook_targets(cfg), _optim_targets(cfg), _scheduler_targets(cfg),
            _dataset_targets(cfg)):
        type_value = target.node.get('type', target.default_type)
        obj = _resolve(target.registry, type_value, target.node.get('_scope_'))
        if obj is None:
            continue  # not registered: mmengine's build says so
        accepted = accepted_keywords(obj, runner_cls)
        if accepted is None:
            continue  # keywords undetermined (see accepted_keywords)
        for key in target.node:
            if key in target.builder_keys or key in accepted:
                continue
            close = difflib.get_close_matches(
                str(key), sorted(accepted), n=3, cutoff=0.6)
            if close:
                hint = 'did you mean ' + ' or '.join(repr(c)
                                                     for c in close) + '?'
            elif accepted:
                hint = 'it takes ' + ', '.join(sorted(accepted)) + '.'
            else:
                hint = 'it takes no arguments.'
            problems.append(f'{target.key}.{key} is not an argument of '
                            f'{_qualified_name(obj)}; {hint}')
    return problems


def check_config_keys(cfg: Config, path: str = '<config>') -> None:
    """Check the keyword names of the hooks, the optimizer wrapper and
    optimizer, the parameter schedulers and the datasets of a config, and
    that a CAE mask generator fits the model's patch grid.

    mmengine passes these dicts to their classes when it builds them, so a
    misspelt key fails only then, at the start of training, or worse:
    mmengine's ``CheckpointHook`` takes ``**kwargs`` and forwards them to
    ``Runner.save_checkpoint``, so
    ``default_hooks.checkpoint.intervall=1`` raises a TypeError at the
    first save, after the training it should have saved. This check runs
    when the config is loaded, before anything is built. It resolves each
    ``type`` in the config's ``default_scope`` (and ``_scope_``) as
    mmengine's builders do; classes whose keywords cannot be determined
    are not checked
    (:func:`mmcae.utils.keywords.accepted_keywords`).

    Args:
        cfg (Config): the merged config.
        path (str): its file, for the message.

    Raises:
        UserError: naming the file, each dotted key that no argument
            matches, its class and the close argument names; or a mask
            generator that disagrees with the model
            (:func:`check_mask_generator`).
    """
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmengine')):
        problems = _keyword_problems(cfg)
        if problems:
            keys = 'keys' if len(problems) > 1 else 'key'
            raise UserError(f"config '{path}': " + ' '.join(problems) +
                            f' Rename or remove the {keys}.')
        check_mask_generator(cfg, path)


# ------------------------------------------------- mask generator vs model
#: transforms whose output size fixes the image the encoder sees, and the
#: argument that holds it (an int: a square; a pair: (h, w) or (w, h)
#: depending on the transform, so only square pairs are used)
_CROP_SIZE_KEYS = {
    'RandomResizedCrop': 'scale',  # mmpretrain / mmcv
    'RandomResizedCropAndInterpolationWithTwoPic': 'size',  # mmpretrain
    'CenterCrop': 'crop_size',
    'RandomCrop': 'crop_size',
}


def _pair(value: Any) -> Optional[Tuple[int, int]]:
    """``value`` as (h, w) when it is an int or a pair of ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, int) for v in value):
        return int(value[0]), int(value[1])
    return None


def _grid_text(grid: Tuple[int, int]) -> str:
    return f'{grid[0]}x{grid[1]}'


def _defaults(obj: Any) -> dict:
    """The default values of ``obj.__init__``'s arguments ({} if none)."""
    parameters = init_parameters(obj) if obj is not None else None
    return {
        p.name: p.default
        for p in parameters or [] if p.default is not inspect.Parameter.empty
    }


def _backbone_grid(cfg: Config) -> Optional[Tuple[str, Tuple[int, int], int]]:
    """(how it is computed, the patch grid, the patch size) of
    ``model.backbone`` from its img_size and patch_size (given, or the
    class's defaults)."""
    from mmengine.registry import MODELS
    model = cfg.get('model')
    backbone = model.get('backbone') if isinstance(model, dict) else None
    if not isinstance(backbone, dict):
        return None
    values = dict(backbone)
    if 'img_size' not in values or 'patch_size' not in values:
        backbone_cls = _resolve(MODELS, backbone.get('type'),
                                backbone.get('_scope_'))
        values = {**_defaults(backbone_cls), **values}
    img_size = _pair(values.get('img_size'))
    patch_size = values.get('patch_size')
    if img_size is None or not isinstance(patch_size, int) or patch_size < 1:
        return None
    grid = (img_size[0] // patch_size, img_size[1] // patch_size)
    how = (f'model.backbone.img_size = {values["img_size"]!r} and '
           f'model.backbone.patch_size = {patch_size} give')
    return how, grid, patch_size


def _crop_before(pipeline: list, index: int, key: str,
                 patch_size: int) -> Optional[Tuple[str, Tuple[int, int]]]:
    """(how it is computed, the patch grid) of the last crop before the
    generator (``pipeline[index]``), or None."""
    for position in range(index - 1, -1, -1):
        transform = pipeline[position]
        if not isinstance(transform, dict) or not isinstance(
                transform.get('type'), str):
            continue
        name = transform['type'].split('.')[-1]
        size_key = _CROP_SIZE_KEYS.get(name)
        if size_key is None or size_key not in transform:
            continue
        size = _pair(transform[size_key])
        # a pair is (h, w) for some transforms and (w, h) for others:
        # only a square crop is unambiguous
        if size is None or size[0] != size[1]:
            return None
        grid = (size[0] // patch_size, size[1] // patch_size)
        how = (f'the crop {key}[{position}].{size_key} = '
               f'{transform[size_key]!r} and model.backbone.patch_size = '
               f'{patch_size} give')
        return how, grid
    return None


def check_mask_generator(cfg: Config, path: str = '<config>') -> None:
    """Check a ``mmcae.CAEBlockMaskGenerator`` of the training pipeline
    against the model's patch grid, and that it leaves patches visible.

    The mask must have the encoder's patch grid: the crop size (or
    ``model.backbone.img_size``) divided by ``model.backbone.patch_size``.
    Otherwise training fails at its first iteration with a shape error
    that names no config key. A mask of every patch would leave the
    encoder no input at all. Run by :func:`check_config_keys` inside the
    config's default scope.

    Args:
        cfg (Config): the merged config.
        path (str): its file, for the message.

    Raises:
        UserError: naming the generator's dotted keys and values and the
            keys that give the model's grid.
    """
    from mmengine.registry import TRANSFORMS

    from mmcae.datasets.transforms import CAEBlockMaskGenerator
    loader = cfg.get('train_dataloader')
    backbone = _backbone_grid(cfg)
    if not isinstance(loader, dict) or backbone is None:
        return
    backbone_how, backbone_grid, patch_size = backbone
    for dataset_key, dataset in _dataset_configs(
            loader.get('dataset'), 'train_dataloader.dataset'):
        pipeline = dataset.get('pipeline')
        if not isinstance(pipeline, (list, tuple)):
            continue
        key = f'{dataset_key}.pipeline'
        for index, transform in enumerate(pipeline):
            if not isinstance(transform, dict) or _resolve(
                    TRANSFORMS, transform.get('type'),
                    transform.get('_scope_')) is not CAEBlockMaskGenerator:
                continue
            settings = {**_defaults(CAEBlockMaskGenerator), **transform}
            generator_grid = _pair(settings.get('input_size'))
            if generator_grid is None:
                continue  # the constructor rejects it with its own message
            where = f'{key}[{index}]'
            how, grid = backbone_how, backbone_grid
            crop = _crop_before(pipeline, index, key, patch_size)
            if crop is not None:
                how, grid = crop
            if generator_grid != grid:
                raise UserError(
                    f"config '{path}': {where}.input_size = "
                    f"{settings['input_size']!r} (a "
                    f'{_grid_text(generator_grid)} mask) does not match the '
                    f'patch grid the encoder sees: {how} '
                    f'{_grid_text(grid)}; set {where}.input_size = '
                    f'{grid[0] if grid[0] == grid[1] else grid} (or change '
                    'the crop size / model.backbone.patch_size).')
            count = settings.get('num_masking_patches')
            total = grid[0] * grid[1]
            if isinstance(count, int) and count >= total:
                raise UserError(
                    f"config '{path}': {where}.num_masking_patches = {count}"
                    f' masks every patch of the {_grid_text(grid)} grid '
                    f'({where}.input_size = {settings["input_size"]!r}): the '
                    'encoder would see no patch; set it below '
                    f'{total} (CAE masks about half: {total // 2}).')
