"""Config loading with errors that name the file, key and value at fault."""
import difflib
import glob
import os.path as osp
from typing import Any, Iterator, List, Optional, Tuple

from mmengine.config import Config

from .errors import UserError

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
        Config: the merged config, with its mmcae types checked
        (:func:`check_mmcae_types`).

    Raises:
        UserError: the file does not exist, does not parse, or names an
            ``mmcae.`` type that no mmcae registry holds.
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
