"""Reading checkpoint files: safe by default, trusted on request.

:func:`load_local_checkpoint` calls ``torch.load(..., weights_only=True)``
with :data:`~mmcae.checkpoint.safe_globals.SAFE_GLOBALS` allowed (torch >=
2.6 refuses anything else; see :mod:`mmcae.checkpoint.safe_globals`).

* A well-formed checkpoint that still needs full unpickling (written by
  plain mmengine, or an older tool) raises :class:`UnsafeCheckpointError`
  naming the file and what it references. It is loaded with
  ``weights_only=False`` only on an explicit opt-in (``trust=True``, the
  environment variable ``MMCAE_TRUST_CHECKPOINTS=1`` or the tool's trust
  flag, see :mod:`mmcae.checkpoint.trust`), with a warning naming the file.
  ``tools/misc/resave_checkpoint.py`` rewrites such a file in the safe form
  once.
* Any other failure is classified from the file's bytes
  (:mod:`mmcae.checkpoint.diagnose`) into ONE :class:`CheckpointReadError`
  that says what the file is; a file of another kind is refused even when
  trusted, so that trusting it never unpickles (runs) a plain pickle.
* Downloads: :func:`load_url_checkpoint` replaces
  :func:`torch.hub.load_state_dict_from_url` (which unpickles with
  ``weights_only=False``) for mmengine's URL schemes, so a downloaded file
  is read like a local one.
* :func:`load_pickled_module` is the one trusted whole-module load (a
  released ``nn.Module`` pickle such as OpenAI's DALL-E ``encoder.pkl``).

:mod:`mmcae.checkpoint.install` makes mmengine use these loaders.
"""
import os
import os.path as osp
import pickle
import sys
import warnings
import zipfile
from typing import Any, Optional, Sequence

import torch
from torch import nn

from .diagnose import inspect_failed_load
from .errors import (CheckpointNotFoundError, CheckpointReadError,
                     UnsafeCheckpointError)
from .safe_globals import SAFE_GLOBALS
from .trust import (TRUST_ENV_VAR, TRUST_FLAGS, is_trusted_by_env,
                    trust_advice, unsafe_message)

__all__ = [
    'TRUST_ENV_VAR', 'TRUST_FLAGS', 'CheckpointReadError',
    'UnsafeCheckpointError', 'check_checkpoint_file', 'is_trusted_by_env',
    'load_local_checkpoint', 'load_pickled_module', 'load_url_checkpoint',
    'trust_advice'
]


def _existing(filename: str) -> str:
    """``filename`` with ``~`` expanded; raises if there is no file."""
    path = osp.expanduser(filename)
    if not osp.isfile(path):
        raise CheckpointNotFoundError(f'checkpoint file not found: {path}')
    return path


def check_checkpoint_file(filename: str) -> None:
    """Check, from its bytes alone, that a file is a well-formed torch
    checkpoint (zip archive or legacy format); nothing is unpickled.

    For code that must unpickle a file in full (with the user's trust)
    through its own loader, e.g. the DALL-E converter: a damaged file or
    one of another kind then gets the same one-line error as from
    :func:`load_local_checkpoint`, and a plain pickle is never run.

    Raises:
        FileNotFoundError: no file at ``filename``.
        CheckpointReadError: see :func:`load_local_checkpoint`.
    """
    path = _existing(filename)
    # inspect as after a refused safe load: a readable file passes
    verdict = inspect_failed_load(path, pickle.UnpicklingError())
    if verdict.kind == 'bad':
        raise CheckpointReadError(
            f"cannot load checkpoint '{path}': {verdict.detail}")


def load_local_checkpoint(filename: str,
                          map_location: Optional[Any] = None,
                          trust: Optional[bool] = None) -> Any:
    """Load a local checkpoint with torch's safe unpickler.

    Args:
        filename (str): path of the checkpoint (``~`` is expanded).
        map_location: as in :func:`torch.load`.
        trust (bool, optional): allow full unpickling when the safe load
            fails because the file references globals outside the allow
            list. ``None`` (default) reads ``MMCAE_TRUST_CHECKPOINTS``.

    Returns:
        The unpickled checkpoint.

    Raises:
        FileNotFoundError: no file at ``filename``.
        CheckpointReadError: the file is empty, no checkpoint at all, or
            truncated / corrupt (trusted or not); the message names the
            file, which of these it is and what to do.
        UnsafeCheckpointError: a well-formed checkpoint that needs full
            unpickling, and ``trust`` is off. Its message names the file,
            the globals it references and the running tool's trust flag.
    """
    path = _existing(filename)
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS), \
                warnings.catch_warnings():
            # torch warns about any pickle protocol but its own 2: noise
            # before the one error a plain pickle (protocol 4+) gets
            warnings.filterwarnings(
                'ignore', 'Detected pickle protocol', UserWarning)
            return torch.load(
                path, map_location=map_location, weights_only=True)
    except Exception as err:  # noqa: B902 classified below, else re-raised
        verdict = inspect_failed_load(path, err)
        if verdict.kind == 'intact':
            raise
        if verdict.kind == 'bad':
            raise CheckpointReadError(
                f"cannot load checkpoint '{path}': {verdict.detail}"
            ) from err
        error = err
    if trust is None:
        trust = is_trusted_by_env()
    if not trust:
        raise UnsafeCheckpointError(unsafe_message(
            path, verdict.references)) from error
    warnings.warn(
        f"loading checkpoint '{path}' with full unpickling "
        f'(weights_only=False) because you trust it: this can run code '
        f"stored in the file. It references "
        f"{', '.join(verdict.references) or 'non-tensor objects'}.",
        stacklevel=2)
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except (ImportError, AttributeError) as err:
        raise CheckpointReadError(
            f"cannot load checkpoint '{path}' even with full unpickling: "
            f'{type(err).__name__}: {err}. It references classes of a '
            'package (or version) not installed here; load it where that '
            'package is installed and save its tensors.') from err


def load_url_checkpoint(url: str,
                        model_dir: Optional[str] = None,
                        map_location: Optional[Any] = None,
                        progress: bool = True,
                        check_hash: bool = False,
                        file_name: Optional[str] = None) -> Any:
    """Download a checkpoint once and load it with the safe loader.

    The cache and arguments of :func:`torch.hub.load_state_dict_from_url`
    (which mmengine's ``http(s)://``, ``torchvision://``,
    ``open-mmlab://`` and ``mmcls://`` schemes call through
    ``mmengine.utils.dl_utils.load_url``), but that function unpickles
    with ``weights_only=False`` by default: any downloaded file could run
    code. Here the file is read by :func:`load_local_checkpoint`, so the
    same allow list, errors and trust opt-in apply as for a local file.

    Args:
        url (str): where the checkpoint is.
        model_dir (str, optional): the cache folder; default
            ``$TORCH_HOME/hub/checkpoints``.
        map_location: as in :func:`torch.load`.
        progress (bool): show a download progress bar.
        check_hash (bool): check the sha256 prefix in the file name.
        file_name (str, optional): the cached file's name; default the
            URL's.

    Returns:
        The unpickled checkpoint.
    """
    from urllib.parse import urlparse

    from torch import hub
    if model_dir is None:
        model_dir = osp.join(hub.get_dir(), 'checkpoints')
    os.makedirs(model_dir, exist_ok=True)
    cached = osp.join(model_dir,
                      file_name or osp.basename(urlparse(url).path))
    if not osp.exists(cached):
        match = hub.HASH_REGEX.search(osp.basename(cached))
        hash_prefix = match.group(1) if check_hash and match else None
        sys.stderr.write(f'Downloading: "{url}" to {cached}\n')
        hub.download_url_to_file(url, cached, hash_prefix, progress=progress)
    if zipfile.is_zipfile(cached):
        with zipfile.ZipFile(cached) as archive:
            members = archive.infolist()
            if len(members) == 1 and not members[0].is_dir():
                # a torch < 1.6 release: one legacy-format file, zipped (a
                # torch checkpoint has several records); extract() keeps
                # the member inside model_dir
                cached = archive.extract(members[0], model_dir)
    return load_local_checkpoint(cached, map_location)


class _StandIn(nn.Module):
    """Stands in for a class of a package that is not installed while
    unpickling a released module: it takes the module's pickled state
    (parameters, submodules), which is all we keep."""

    def forward(self, *args, **kwargs):  # pragma: no cover - never called
        raise RuntimeError('a stand-in for an unpickled module')


def _pickle_module_mapping(packages: Sequence[str]) -> Any:
    """A ``pickle_module`` for ``torch.load`` whose unpickler maps every
    class of ``packages`` to :class:`_StandIn`."""

    class Unpickler(pickle.Unpickler):

        def find_class(self, module: str, name: str):
            if module.split('.')[0] in packages:
                return _StandIn
            return super().find_class(module, name)

    class PickleModule:
        __name__ = 'mmcae_stand_in_pickle'
        load = pickle.load

    PickleModule.Unpickler = Unpickler
    return PickleModule


def load_pickled_module(path: str,
                        stand_in_packages: Sequence[str] = (),
                        trust: bool = False,
                        untrusted_message: Optional[str] = None) -> Any:
    """Unpickle a released ``nn.Module`` (not a state dict) in full.

    This is the one place that unpickles a whole module: it can run code,
    so the caller must trust the file. Classes of ``stand_in_packages``
    (e.g. ``'dall_e'``) need not be installed: they are rebuilt as plain
    modules that hold the pickled parameters and submodules.

    Args:
        path (str): the file.
        stand_in_packages (Sequence[str]): top-level packages whose classes
            are replaced by stand-ins.
        trust (bool): you trust the file; ``MMCAE_TRUST_CHECKPOINTS=1``
            also counts as trust.
        untrusted_message (str, optional): the message of the error raised
            without trust (default: the generic one, naming the file).

    Returns:
        What the file holds (the caller checks that it is a module and
        reads its ``state_dict()``).

    Raises:
        CheckpointNotFoundError: no file at ``path``.
        UnsafeCheckpointError: without trust.
    """
    path = _existing(path)
    if not (trust or is_trusted_by_env()):
        raise UnsafeCheckpointError(
            untrusted_message or
            f"'{path}' is a pickled module: loading it unpickles arbitrary "
            f'objects. If you trust it, {trust_advice()}.')
    return torch.load(
        path, map_location='cpu', weights_only=False,
        pickle_module=_pickle_module_mapping(tuple(stand_in_packages)))
