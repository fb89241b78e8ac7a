"""Turn a training checkpoint into a file to publish (OpenMMLab convention).

A checkpoint written by an mmengine runner holds the weights
(``state_dict``), what the run was (``meta``: config text, epoch, iter,
seed, ...) and the state needed only to resume it (``optimizer``,
``param_schedulers``, ``message_hub`` with pickled history buffers, EMA
copies). A published file keeps the first two, names the code that wrote
it, and is named by its content: ``{prefix}-{first 8 hex of sha256}.pth``,
like the files of the OpenMMLab model zoos.

* :func:`build_published_checkpoint` keeps ``state_dict`` (or, with
  ``backbone_only``, the encoder in :class:`mmcae.models.ViT` keys, see
  :func:`mmcae.checkpoint.convert_vit_checkpoint`) and ``meta`` (less any
  entry that torch's safe loader, ``torch.load(weights_only=True)`` with no
  allow-list, could not read back).
* :func:`code_version_meta` names the code: ``mmcae_version`` and the
  ``git_hash`` of the mmcae checkout (``+dirty`` when ``mmcae/`` has
  uncommitted changes), or None outside a git checkout.
* :func:`save_with_content_hash` writes the file. ``torch.save`` to a path
  names the zip archive's records after the file name, so the bytes would
  depend on the (temporary) name; saving through an open file handle gives
  the same bytes for the same checkpoint, hence the same name.

The published file adds no timestamp: publishing the same checkpoint with
the same code gives the same bytes.
"""
import hashlib
import io
import os
import os.path as osp
import secrets
import subprocess
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch
from mmengine.config import Config

from .convert import architecture_facts, convert_vit_checkpoint
from .formats import CheckpointFormatError

#: how many hex digits of the sha256 go into the file name
HASH_PREFIX_LENGTH = 8
_CHUNK_BYTES = 1 << 20


def _git(root: str, *args: str) -> str:
    # GIT_OPTIONAL_LOCKS=0: `git status` must not refresh (lock) the index
    # of a checkout that someone may be committing to
    env = dict(os.environ, GIT_OPTIONAL_LOCKS='0')
    return subprocess.run(['git', '-C', root, *args],
                          capture_output=True,
                          text=True,
                          timeout=20,
                          check=True,
                          env=env).stdout.strip()


def mmcae_git_hash() -> Optional[str]:
    """The commit of the mmcae checkout this package is imported from.

    Returns:
        str | None: ``git rev-parse HEAD`` of the checkout whose top level
        holds this ``mmcae`` package, suffixed with ``+dirty`` when tracked
        files under ``mmcae/`` differ from that commit; None when mmcae is
        not in a git checkout (e.g. installed from a wheel) or git is
        missing.
    """
    package_dir = osp.dirname(osp.dirname(osp.abspath(__file__)))
    root = osp.dirname(package_dir)
    try:
        toplevel = _git(root, 'rev-parse', '--show-toplevel')
        # an installed copy may sit inside some other repository
        if osp.realpath(toplevel) != osp.realpath(root):
            return None
        commit = _git(root, 'rev-parse', 'HEAD')
        changes = _git(root, 'status', '--porcelain', '--untracked-files=no',
                       '--', package_dir)
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ('+dirty' if changes else '')


def code_version_meta() -> Dict[str, Optional[str]]:
    """The meta entries that name the code publishing a checkpoint.

    Returns:
        dict: ``mmcae_version`` and ``git_hash`` (see
        :func:`mmcae_git_hash`).
    """
    from mmcae.version import __version__
    return dict(mmcae_version=__version__, git_hash=mmcae_git_hash())


def _to_builtin(value: Any) -> Any:
    """Values torch's safe loader refuses without an allow-list, made
    plain: numpy scalars and arrays -> Python numbers and lists, an mmengine
    ``Config`` -> its text, dict subclasses -> dict (OrderedDict stays), in
    nested containers."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Config):
        return value.pretty_text
    if isinstance(value, dict):
        container = OrderedDict if isinstance(value, OrderedDict) else dict
        return container(
            (key, _to_builtin(item)) for key, item in value.items())
    if type(value) in (list, tuple):
        return type(value)(_to_builtin(item) for item in value)
    return value


def loads_weights_only(value: Any) -> bool:
    """Whether ``value`` survives ``torch.save`` and a plain
    ``torch.load(weights_only=True)`` (no allow-listed globals)."""
    buffer = io.BytesIO()
    try:
        torch.save(value, buffer)
        buffer.seek(0)
        torch.load(buffer, map_location='cpu', weights_only=True)
    except Exception:  # any failure means: not loadable safely
        return False
    return True


def publishable_meta(
        meta: Optional[dict]) -> Tuple[Dict[str, Any], List[str]]:
    """Keep every meta entry that a safe loader can read back.

    numpy values become Python numbers and lists, an mmengine ``Config``
    its text; entries that still need full unpickling (arbitrary objects)
    are dropped.

    Args:
        meta (dict, optional): the checkpoint's ``meta``.

    Returns:
        tuple: (the kept entries in their order, the dropped keys).
    """
    kept: Dict[str, Any] = {}
    dropped: List[str] = []
    for key, value in (meta or {}).items():
        value = _to_builtin(value)
        if isinstance(key, str) and loads_weights_only(value):
            kept[key] = value
        else:
            dropped.append(str(key))
    return kept, dropped


def build_published_checkpoint(
        checkpoint: Any,
        backbone_only: bool = False,
        code_meta: Optional[Dict[str, Any]] = None
) -> Tuple[Dict[str, Any], List[str]]:
    """The part of a training checkpoint worth publishing.

    Args:
        checkpoint: what ``torch.load`` returned for a checkpoint written
            by an mmengine runner (``state_dict``, ``meta``, ``optimizer``,
            ...).
        backbone_only (bool): publish only the encoder, in
            :class:`mmcae.models.ViT` keys (any layout
            :func:`~mmcae.checkpoint.convert_vit_checkpoint` knows); the
            layout is recorded as ``meta['source_format']`` and its
            architecture facts as ``meta['source']``.
        code_meta (dict, optional): entries naming the publishing code,
            added to (and overriding) ``meta``; None for
            :func:`code_version_meta`.

    Returns:
        tuple: (``{'state_dict': ..., 'meta': ...}``, the meta keys dropped
        because a safe loader could not read them).

    Raises:
        CheckpointFormatError: the checkpoint is not a dict with a
            ``state_dict`` dict, or (``backbone_only``) holds no ViT
            encoder that can be converted.
    """
    if not isinstance(checkpoint, dict):
        raise CheckpointFormatError(
            f'expected a checkpoint dict, got {type(checkpoint).__name__}')
    state_dict = checkpoint.get('state_dict')
    if not isinstance(state_dict, dict):
        raise CheckpointFormatError(
            "no 'state_dict' in the checkpoint (its keys: "
            f'{sorted(map(str, checkpoint))[:10]}); only checkpoints '
            'written by an mmengine runner can be published (to convert '
            'another ViT file, use tools/model_converters/'
            'convert_checkpoint.py)')
    meta, dropped = publishable_meta(checkpoint.get('meta'))
    if backbone_only:
        # only the state dict: the weights published are the run's weights
        state_dict, source_format = convert_vit_checkpoint(
            {'state_dict': state_dict})
        meta['source_format'] = source_format
        # what loading checks against the model, as the converter records
        meta['source'] = architecture_facts(state_dict, source_format)
    meta.update(code_version_meta() if code_meta is None else code_meta)
    return dict(state_dict=state_dict, meta=meta), dropped


def file_sha256(path: str) -> str:
    """The sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK_BYTES), b''):
            digest.update(chunk)
    return digest.hexdigest()


def output_prefix(out_prefix: str) -> str:
    """``out_prefix`` without a trailing ``.pth``.

    Raises:
        ValueError: it names no file (empty, or ends with a separator).
    """
    if out_prefix.endswith('.pth'):
        out_prefix = out_prefix[:-len('.pth')]
    if not osp.basename(out_prefix):
        raise ValueError(f"output prefix '{out_prefix}' names a folder, not "
                         'a file prefix (e.g. work_dirs/cae_vit-base)')
    return out_prefix


def save_with_content_hash(checkpoint: Dict[str, Any],
                           out_prefix: str) -> Tuple[str, str]:
    """Save ``checkpoint`` as ``{out_prefix}-{sha256[:8]}.pth``.

    The file is written under a temporary name in the destination folder,
    read back with ``torch.load(weights_only=True)`` (memory-mapped, no
    allow-listed globals), hashed, and renamed. A file that already has the
    final name and the same sha256 is the same file and is kept as it is.

    Args:
        checkpoint (dict): what to save.
        out_prefix (str): path prefix of the file; a trailing ``.pth`` is
            removed. Missing folders are created.

    Returns:
        tuple: (the final path, the file's full sha256 hex digest).

    Raises:
        ValueError: ``out_prefix`` names no file (empty, or a folder).
        pickle.UnpicklingError: the saved file needs full unpickling
            (the checkpoint holds objects other than tensors and plain
            containers); nothing is left behind.
        FileExistsError: the final name is taken by a file with other
            bytes (it is not replaced).
    """
    out_prefix = output_prefix(out_prefix)
    name = osp.basename(out_prefix)
    out_dir = osp.dirname(osp.abspath(out_prefix))
    os.makedirs(out_dir, exist_ok=True)
    temp_path = osp.join(out_dir,
                         f'.{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp')
    try:
        with open(temp_path, 'xb') as f:  # a file handle: see module doc
            torch.save(checkpoint, f)
            f.flush()
            os.fsync(f.fileno())
        torch.load(
            temp_path, map_location='cpu', weights_only=True, mmap=True)
        sha256 = file_sha256(temp_path)
        final_path = f'{out_prefix}-{sha256[:HASH_PREFIX_LENGTH]}.pth'
        if osp.exists(final_path):
            if file_sha256(final_path) != sha256:
                raise FileExistsError(
                    f"'{final_path}' exists with other content (its sha256 "
                    f'differs from {sha256}); not replacing it')
        else:
            os.replace(temp_path, final_path)
    finally:
        if osp.exists(temp_path):
            os.remove(temp_path)
    return final_path, sha256
