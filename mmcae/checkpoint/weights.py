"""Read a checkpoint's weights and load them into a model, with one error.

Every reader of weights in mmcae (analysis tools, demos, tokenizers, the
ViT loader) goes through these functions, so a checkpoint is unwrapped,
stripped of a wrapper prefix and shape-checked the same way everywhere:

* :func:`read_checkpoint`: whatever the file holds, read by the safe
  loader (local paths) or mmengine's URL schemes (downloads, read by the
  same loader once cached);
* :func:`read_state_dict`: the name -> tensor dict inside it;
* :func:`load_weights_into`: that dict checked against a model and loaded;
  keys missing, unexpected or of another shape raise ONE
  :class:`~mmcae.checkpoint.CheckpointMismatchError` naming the file and
  the keys, before anything is loaded.

Why not mmengine's ``load_checkpoint``: it loads with ``strict=False`` and
only logs what did not match, so a model that silently kept random weights
(wrong file, wrong layout, wrong size) runs on; here a misfit is an error
unless the caller declares the keys it may lack.
"""
from typing import (Any, Dict, List, Mapping, NamedTuple, Optional, Sequence,
                    Union)

import torch
from torch import nn

from .errors import (CheckpointFormatError, CheckpointMismatchError,
                     CheckpointNotFoundError)
from .formats import unwrap_state_dict
from .reader import load_local_checkpoint

StateDict = Dict[str, torch.Tensor]
#: how many keys of each kind an error message lists
_SHOWN = 4


def read_checkpoint(path: str,
                    *,
                    trust: Optional[bool] = None,
                    map_location: Any = 'cpu') -> Any:
    """Read a checkpoint file (or URL) as it is.

    Args:
        path (str): a local file (``~`` is expanded) or a URL of one of
            mmengine's schemes (``http(s)://``, ``open-mmlab://``, ...).
        trust (bool, optional): allow full unpickling of a well-formed
            file that needs it. None (default) reads
            ``MMCAE_TRUST_CHECKPOINTS``; a tool passes True for its trust
            flag.
        map_location: as in :func:`torch.load`. Defaults to 'cpu'.

    Returns:
        What the file holds (usually a dict with ``state_dict``, ``meta``).

    Raises:
        CheckpointNotFoundError: no file at ``path``.
        CheckpointReadError: empty, not a checkpoint, truncated / corrupt.
        UnsafeCheckpointError: the file needs trust.
    """
    if '://' in path:
        # mmengine's schemes download into a cache and read the file with
        # load_url_checkpoint (mmcae.checkpoint.install)
        from mmengine.runner import CheckpointLoader
        return CheckpointLoader.load_checkpoint(path, map_location)
    try:
        return load_local_checkpoint(path, map_location, trust)
    except CheckpointNotFoundError as err:
        raise CheckpointNotFoundError(f'checkpoint not found: {path}') from err


def strip_prefix(state_dict: Mapping[str, torch.Tensor],
                 prefix: str) -> StateDict:
    """The keys under ``prefix``, with the prefix removed; others dropped.

    Example:
        >>> strip_prefix({'backbone.cls_token': t, 'head.fc.weight': w},
        ...              'backbone.')
        {'cls_token': t}
    """
    return {
        key[len(prefix):]: value
        for key, value in state_dict.items() if key.startswith(prefix)
    }


def read_state_dict(path: str,
                    *,
                    trust: Optional[bool] = None,
                    key: Optional[str] = None,
                    prefix: Optional[str] = None,
                    map_location: Any = 'cpu') -> StateDict:
    """Read the state dict (name -> tensor) of a checkpoint.

    Args:
        path (str): see :func:`read_checkpoint`.
        trust (bool, optional): see :func:`read_checkpoint`.
        key (str, optional): the entry that holds the state dict (e.g.
            'teacher'); None unwraps the usual containers ('state_dict',
            'model', 'module', 'weights', nested ones too).
        prefix (str, optional): keep only the keys under this prefix, with
            the prefix removed (e.g. 'backbone.').
        map_location: as in :func:`torch.load`. Defaults to 'cpu'.

    Returns:
        dict: a non-empty name -> tensor dict.

    Raises:
        CheckpointFormatError: no such ``key``, no state dict of tensors,
            or no key under ``prefix``; the message names the file.
        And the errors of :func:`read_checkpoint`.
    """
    checkpoint = read_checkpoint(
        path, trust=trust, map_location=map_location)
    if key is not None:
        if not isinstance(checkpoint, dict) or key not in checkpoint:
            held = (sorted(map(str, checkpoint))[:8] if isinstance(
                checkpoint, dict) else type(checkpoint).__name__)
            raise CheckpointFormatError(
                f"{path} has no entry {key!r} (it holds {held})")
        state = checkpoint[key]
    else:
        try:
            state, _ = unwrap_state_dict(checkpoint, dino_key=None)
        except CheckpointFormatError as err:
            raise CheckpointFormatError(f'{path}: {err}') from err
    if not isinstance(state, dict) or not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointFormatError(
            f'{path} holds no state dict of tensors (expected a checkpoint '
            "with the model's 'state_dict', or a name -> tensor dict)")
    if prefix is not None:
        selected = strip_prefix(state, prefix)
        if not selected:
            raise CheckpointFormatError(
                f'{path} has no key under {prefix!r}; its keys start with '
                f'{_first(sorted(state))}')
        state = selected
    return state


class StateDictDiff(NamedTuple):
    """How a state dict differs from a model's.

    Attributes:
        missing (list[str]): model keys the state dict lacks (model order).
        unexpected (list[str]): state dict keys the model lacks.
        mismatched (list[str]): shared keys whose shapes differ (model
            order).
    """
    missing: List[str]
    unexpected: List[str]
    mismatched: List[str]


def diff_state_dict(model_state: Mapping[str, torch.Tensor],
                    state_dict: Mapping[str, torch.Tensor],
                    *,
                    ignore_shapes: Sequence[str] = ()) -> StateDictDiff:
    """Compare a state dict with a model's ``state_dict()``.

    Args:
        model_state (Mapping): the model's state dict.
        state_dict (Mapping): the one to load.
        ignore_shapes (Sequence[str]): key endings whose shapes are not
            compared (e.g. position tables that the model resizes while
            loading).
    """
    ignore = tuple(ignore_shapes)
    return StateDictDiff(
        missing=[k for k in model_state if k not in state_dict],
        unexpected=[k for k in state_dict if k not in model_state],
        mismatched=[
            k for k, v in model_state.items()
            if k in state_dict and not (ignore and k.endswith(ignore))
            and state_dict[k].shape != v.shape
        ])


def _first(keys: Sequence[str], count: int = _SHOWN) -> List[str]:
    keys = list(keys)
    return keys[:count] + ([f'... ({len(keys) - count} more)']
                           if len(keys) > count else [])


def _unwrap_prefixes(state: StateDict, model_keys: Mapping,
                     prefixes: Sequence[str]) -> StateDict:
    """Remove a wrapper's prefix (DDP's ``module.``, a parent model's
    attribute name) when no model key is found as it is."""
    for prefix in prefixes:
        if not any(k in model_keys for k in state) and any(
                k.startswith(prefix) for k in state):
            state = strip_prefix(state, prefix)
    return state


def load_weights_into(model: nn.Module,
                      source: Union[str, Mapping[str, torch.Tensor]],
                      *,
                      trust: Optional[bool] = None,
                      key: Optional[str] = None,
                      prefix: Optional[str] = None,
                      required: Optional[Sequence[str]] = None,
                      allow_unexpected: bool = True,
                      wrapper_prefixes: Sequence[str] = ('module.', ),
                      target: Optional[str] = None,
                      advice: str = '') -> List[str]:
    """Check a checkpoint against ``model`` and load it.

    Args:
        model (nn.Module): the model to load into.
        source (str | Mapping): a checkpoint path (read with
            :func:`read_state_dict` and ``trust``, ``key``, ``prefix``) or
            a state dict.
        trust, key, prefix: see :func:`read_state_dict` (path only).
        required (Sequence[str], optional): None: EVERY model key must be
            in the file with the model's shape. Else the prefixes of the
            model keys that must (e.g. ``('backbone.', )``); other keys are
            loaded when present with the same shape, else left as they are.
        allow_unexpected (bool): False makes file keys that the model does
            not have an error too. Defaults to True (ignored).
        wrapper_prefixes (Sequence[str]): prefixes to remove, in order,
            when no model key is in the file as it is. Defaults to DDP's
            ``('module.', )``.
        target (str, optional): what the model is, for the message;
            default its class name.
        advice (str): what to do about a misfit, appended to the message.

    Returns:
        list[str]: the model keys that were not loaded (model order).

    Raises:
        CheckpointMismatchError: required keys missing or of another shape,
            or unexpected keys with ``allow_unexpected=False``. One line:
            ``PATH does not fit TARGET: N missing keys [...], N shape
            mismatches (checkpoint vs model) ['KEY (a, b) vs (c, d)'];
            ...``. Nothing is loaded then.
        And the errors of :func:`read_state_dict`.

    Example:
        >>> load_weights_into(model, 'work_dirs/run/epoch_1.pth',
        ...                   required=('backbone.', ))
        ['head.fc.weight', 'head.fc.bias']
    """
    if isinstance(source, str):
        name = source
        state = read_state_dict(source, trust=trust, key=key, prefix=prefix)
    else:
        name, state = 'the state dict', dict(source)
    own = model.state_dict()
    state = _unwrap_prefixes(state, own, wrapper_prefixes)
    diff = diff_state_dict(own, state)
    required_keys = {
        k
        for k in own if required is None or k.startswith(tuple(required))
    }
    missing = [k for k in diff.missing if k in required_keys]
    mismatched = [
        f'{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}'
        for k in diff.mismatched if k in required_keys
    ]
    unexpected = [] if allow_unexpected else diff.unexpected
    if missing or mismatched or unexpected:
        parts = []
        if missing:
            parts.append(f'{len(missing)} missing keys {_first(missing)}')
        if unexpected:
            parts.append(f'{len(unexpected)} unexpected keys '
                         f'{_first(unexpected)}')
        if mismatched:
            parts.append(f'{len(mismatched)} shape mismatches (checkpoint '
                         f'vs model) {_first(mismatched)}')
        if required is not None:
            parts.append(f'keys under {list(required)} must all match')
        if missing:
            parts.append(
                f"the file's keys start with {_first(sorted(state))}")
        raise CheckpointMismatchError(
            f'{name} does not fit {target or type(model).__name__}: ' +
            ', '.join(parts) + '.' + (f' {advice}' if advice else ''))
    loadable = {
        k: v
        for k, v in state.items() if k in own and v.shape == own[k].shape
    }
    model.load_state_dict(loadable, strict=False)
    return [k for k in own if k not in loadable]
