"""Safe loading of mmengine checkpoints on torch >= 2.6 (weights_only).

Since torch 2.6, ``torch.load`` unpickles with ``weights_only=True`` by
default: only tensors, containers and explicitly allow-listed globals may be
rebuilt. mmengine 0.10.7 cannot load its own resume checkpoints that way:

* the message hub stores :class:`mmengine.logging.HistoryBuffer` objects,
  whose pickled form (protocol 2, torch's default) reaches the class's
  methods through ``getattr(HistoryBuffer, 'min')``. Allow-listing
  ``builtins.getattr`` would let a file call ANY attribute of an allowed
  object (``ndarray.tofile`` writes files), so that is not an option;
* history buffers and run-time info hold numpy arrays and scalars.

What this module does, in this one place (it is activated by ``import
mmcae``, which every mmcae tool and every config naming an ``mmcae.`` type
triggers):

1. **Saving**: a ``copyreg`` reducer makes every HistoryBuffer pickle as
   ``_rebuild_history_buffer(max_length, log_history, count_history)`` with
   plain lists: data only, no method references. ``copy.deepcopy`` (which
   the message hub uses) goes through the same reducer and stays exact.
2. **Loading**: mmengine's loader for local files (the ``''`` scheme of
   :class:`mmengine.runner.CheckpointLoader`, used by ``Runner.resume``,
   ``load_from`` and ``init_cfg=dict(type='Pretrained')``) is replaced by
   :func:`load_local_checkpoint`, which calls ``torch.load(...,
   weights_only=True)`` with exactly these globals allowed:
   ``_rebuild_history_buffer`` and numpy's array / dtype / scalar
   reconstruction (numpy object arrays are rebuilt by the same restricted
   unpickler, so they add no hole).
3. **Old files**: a checkpoint that still needs full unpickling (written by
   plain mmengine, or an older tool) raises :class:`UnsafeCheckpointError`
   naming the file and what it references. It is loaded with
   ``weights_only=False`` only on an explicit opt-in: the environment
   variable ``MMCAE_TRUST_CHECKPOINTS=1`` or the trust flag of the tool in
   use (:data:`TRUST_FLAGS`: ``--trust-checkpoint`` for ``tools/train.py``,
   ``tools/test.py`` and the analysis tools, ``--trust`` for the
   converters), with a warning naming the file. The error names the flag
   of the program that is running. ``tools/misc/resave_checkpoint.py``
   rewrites such a file in the safe form once.
4. **Downloads**: mmengine's URL schemes (``http(s)://``,
   ``torchvision://``, ``open-mmlab://``, ``mmcls://``) go through
   :func:`torch.hub.load_state_dict_from_url`, which unpickles with
   ``weights_only=False`` by default; :func:`load_url_checkpoint` replaces
   it (same cache), so a downloaded file is read like a local one.
5. **Files that are no checkpoint**: when the safe load fails, the file is
   inspected WITHOUT unpickling it (magic bytes, the zip directory, a
   static walk over the pickle opcodes) and every other failure raises ONE
   :class:`CheckpointReadError` that names the file and says what it is:
   empty, not a checkpoint at all (text, an HTML page, a Git LFS pointer,
   a safetensors file, a plain pickle, random bytes), a truncated or
   corrupt zip archive, or a truncated file in torch's legacy format.
   Trust is suggested only for a well-formed torch file whose pickle
   references globals outside the allow list, the one case trust helps;
   a file of another kind is refused even when trusted, so that trusting
   it never unpickles (runs) a plain pickle that torch would then reject.
"""
import copyreg
import io
import os
import os.path as osp
import pickle
import pickletools
import sys
import warnings
import zipfile
from typing import (Any, Callable, Dict, List, NamedTuple, Optional, Sequence,
                    Set, Tuple)

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

from .errors import UserError

#: environment variable that opts in to full unpickling of old checkpoints
TRUST_ENV_VAR = 'MMCAE_TRUST_CHECKPOINTS'
_TRUE_WORDS = ('1', 'true', 'yes', 'on')

#: the option that opts in to full unpickling, per tool (path under
#: ``tools/``); the advice of :class:`UnsafeCheckpointError` names the one
#: of the running program. tests/test_utils/test_checkpoint_compat.py checks
#: this table against the tools' parsers.
TRUST_FLAGS: Dict[str, str] = {
    'train.py': '--trust-checkpoint',
    'test.py': '--trust-checkpoint',
    'analysis_tools/attention_distance.py': '--trust-checkpoint',
    'analysis_tools/decoder_attention_similarity.py': '--trust-checkpoint',
    'analysis_tools/relative_attention_maps.py': '--trust-checkpoint',
    'analysis_tools/visualize_ccmim_masks.py': '--trust-checkpoint',
    'model_converters/convert_checkpoint.py': '--trust',
    'model_converters/convert_dalle_encoder.py': '--trust',
    'model_converters/publish_model.py': '--trust',
    'misc/resave_checkpoint.py': '--trust',
}
_RESAVE_TOOL = 'misc/resave_checkpoint.py'

#: how a torch >= 1.6 checkpoint (a zip archive) and a pickle stream of
#: protocol >= 2 (torch's legacy format, or a plain pickle) begin
_ZIP_MAGIC = b'PK\x03\x04'
_PICKLE_PROTO = b'\x80'
#: pickle opcodes that push a string (module and name of STACK_GLOBAL)
_STRING_OPCODES = frozenset(
    ('UNICODE', 'SHORT_BINUNICODE', 'BINUNICODE', 'BINUNICODE8', 'STRING',
     'BINSTRING', 'SHORT_BINSTRING'))
#: what a user can do about a file that is damaged or of another kind
_USE_ANOTHER = ('Use another checkpoint (e.g. the previous one of the run) '
                'or copy / download this one again; trusting the file '
                'would not help')
_POINT_TO_CHECKPOINT = ('Point to a checkpoint written by torch.save '
                        "(e.g. a work dir's epoch_N.pth or iter_N.pth)")


class CheckpointReadError(UserError):
    """A file that cannot be a loadable checkpoint: empty, of another kind
    (text, random bytes, a plain pickle, ...), or truncated / corrupt.

    The message names the file, says which of these it is and what to do.
    Trusting the file would not help, so it never suggests trust.
    """


class UnsafeCheckpointError(pickle.UnpicklingError, UserError):
    """A well-formed checkpoint that needs full unpickling (it references
    globals outside the allow list) and the user has not opted in.

    A :class:`pickle.UnpicklingError` (callers that catch that keep
    working) and a :class:`~mmcae.utils.errors.UserError` (tools print it
    as one line).
    """


def _rebuild_history_buffer(max_length: int, log_history: List[float],
                            count_history: List[int]) -> HistoryBuffer:
    """Rebuild a HistoryBuffer from the plain data of its pickled form."""
    if not isinstance(max_length, int) or not isinstance(
            log_history, list) or not isinstance(count_history, list):
        raise pickle.UnpicklingError(
            'corrupt HistoryBuffer state in checkpoint: expected (int, list, '
            f'list), got ({type(max_length).__name__}, '
            f'{type(log_history).__name__}, {type(count_history).__name__})')
    return HistoryBuffer(log_history, count_history, max_length)


def _reduce_history_buffer(buffer: HistoryBuffer) -> tuple:
    log_history, count_history = buffer.data
    return (_rebuild_history_buffer,
            (int(buffer.max_length), log_history.tolist(),
             count_history.tolist()))


def _numpy_globals() -> List[Any]:
    """Numpy's array, dtype and scalar reconstruction, for numpy 1.x and 2.x.
    """
    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray  # type: ignore
    allowed: List[Any] = [
        multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype
    ]
    dtypes_module = getattr(np, 'dtypes', None)
    if dtypes_module is not None:  # the per-dtype classes (numpy >= 1.25)
        allowed += [
            getattr(dtypes_module, name) for name in dir(dtypes_module)
            if name.endswith('DType')
        ]
    return allowed


#: the globals a checkpoint written by an mmcae run may reference
SAFE_GLOBALS: List[Any] = [_rebuild_history_buffer] + _numpy_globals()


def is_trusted_by_env() -> bool:
    """Whether ``MMCAE_TRUST_CHECKPOINTS`` opts in to full unpickling."""
    return os.environ.get(TRUST_ENV_VAR, '').strip().lower() in _TRUE_WORDS


def _running_tool(argv0: Optional[str] = None) -> Optional[str]:
    """The running program as a key of :data:`TRUST_FLAGS` (its path under
    the last ``tools`` folder), or None for any other program."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    if not argv0:
        return None
    parts = osp.abspath(argv0).split(os.sep)
    if 'tools' not in parts:
        return None
    last = len(parts) - 1 - parts[::-1].index('tools')
    key = '/'.join(parts[last + 1:])
    return key if key in TRUST_FLAGS else None


def trust_advice(argv0: Optional[str] = None) -> str:
    """How to opt in to full unpickling from the running program.

    Args:
        argv0 (str, optional): the program; default ``sys.argv[0]``.

    Returns:
        str: e.g. ``'pass --trust to tools/model_converters/
        convert_checkpoint.py (or set MMCAE_TRUST_CHECKPOINTS=1)'``; for a
        program without a trust option (a benchmark script, a notebook,
        the test suite) the environment variable and the tools' options.
    """
    tool = _running_tool(argv0)
    if tool is not None:
        return (f'pass {TRUST_FLAGS[tool]} to tools/{tool} (or set '
                f'{TRUST_ENV_VAR}=1)')
    by_flag: Dict[str, List[str]] = {}
    for name, flag in TRUST_FLAGS.items():
        by_flag.setdefault(flag, []).append(osp.basename(name))
    options = '; '.join(f'{flag} of ' + ', '.join(names)
                        for flag, names in sorted(by_flag.items()))
    return f'set {TRUST_ENV_VAR}=1 (or the tool\'s option: {options})'


def _unsafe_message(path: str, references: Sequence[str]) -> str:
    """The :class:`UnsafeCheckpointError` message for ``path``."""
    named = ', '.join(references) or (
        'objects that the safe loader does not allow')
    resave = '' if _running_tool() == _RESAVE_TOOL else (
        ', or rewrite it once in the safe form with '
        'tools/misc/resave_checkpoint.py --trust IN OUT')
    return (f"checkpoint '{path}' cannot be loaded safely (torch.load "
            f'weights_only=True): it references {named}. It was probably '
            'written by plain mmengine or another tool. If you trust the '
            f'file, {trust_advice()} to load it with full unpickling, which '
            f'runs whatever code the file names{resave}.')


# ---------------------------------------------------------------------------
# What a file is, found without unpickling it


class _Verdict(NamedTuple):
    """What :func:`_inspect_failed_load` found.

    ``kind``: 'bad' (``detail``: what is wrong, for CheckpointReadError),
    'trust' (``references``: the globals outside the allow list) or
    'intact' (a well-formed checkpoint: torch's own error stands, e.g. a
    ``map_location`` naming a device this machine lacks).
    """
    kind: str
    detail: str = ''
    references: Tuple[str, ...] = ()


def _bad(detail: str) -> _Verdict:
    return _Verdict('bad', detail)


def _pickle_globals(stream: io.IOBase) -> Set[str]:
    """The globals (``module.name``) one pickle in ``stream`` references.

    Walks the opcodes with :func:`pickletools.genops` (nothing is built or
    called) and leaves ``stream`` after the pickle's STOP.

    Raises:
        ValueError: the bytes are no complete pickle (truncated, or an
            unknown opcode).
    """
    found: Set[str] = set()
    strings: List[Optional[str]] = []  # recent string pushes
    memo: Dict[int, Optional[str]] = {}
    try:
        for opcode, arg, _ in pickletools.genops(stream):
            name = opcode.name
            if name in ('GLOBAL', 'INST'):
                found.add(str(arg).replace(' ', '.', 1))
            elif name == 'STACK_GLOBAL':  # protocol 4+: module, name pushed
                module, attr = (strings[-2:] if len(strings) > 1 else
                                (None, None))
                found.add(f'{module}.{attr}' if module and attr else
                          '<a global built from the stack>')
            elif name in _STRING_OPCODES:
                strings.append(arg)
            elif name == 'MEMOIZE':
                memo[len(memo)] = strings[-1] if strings else None
            elif name in ('PUT', 'BINPUT', 'LONG_BINPUT'):
                memo[int(arg)] = strings[-1] if strings else None
            elif name in ('GET', 'BINGET', 'LONG_BINGET'):
                strings.append(memo.get(int(arg)))
    except ValueError:
        raise
    except Exception as err:  # noqa: B902 struct.error, EOFError, ...
        raise ValueError(f'{type(err).__name__}: {err}') from err
    return found


def _allowed_global_names() -> Set[str]:
    """The ``module.name`` of every global torch's safe unpickler accepts
    here (its defaults plus :data:`SAFE_GLOBALS`)."""
    try:
        from torch import _weights_only_unpickler as unpickler
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return set(unpickler._get_allowed_globals()) | set(
                unpickler._get_user_allowed_globals())
    except Exception:  # noqa: B902 private API moved: name every global
        return set()


def _unsafe(names: Set[str]) -> Tuple[str, ...]:
    return tuple(sorted(names - _allowed_global_names()))


def _inspect_zip(path: str, error: BaseException) -> _Verdict:
    """A file that starts like a zip archive (torch >= 1.6 format)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            # torch writes '<archive name>/data.pkl'
            records = [
                n for n in names
                if n == 'data.pkl' or (n.endswith('/data.pkl')
                                       and n.count('/') == 1)
            ]
            if not records:
                held = ', '.join(names[:5]) + (', ...'
                                               if len(names) > 5 else '')
                return _bad(
                    'it is a zip archive but not a torch checkpoint (it has '
                    f'no data.pkl record; it holds {held or "nothing"}). '
                    + _POINT_TO_CHECKPOINT)
            try:
                data = archive.read(records[0])
                references = _pickle_globals(io.BytesIO(data))
            except (zipfile.BadZipFile, ValueError, OSError) as err:
                return _bad(
                    'it is a corrupt torch zip archive (its data.pkl '
                    f'record cannot be read: {err}). ' + _USE_ANOTHER)
            if isinstance(error, pickle.UnpicklingError):
                return _Verdict('trust', references=_unsafe(references))
            damaged = archive.testzip()  # reads every record, checks CRCs
            if damaged is not None:
                return _bad(
                    f'it is a corrupt torch zip archive (record {damaged!r} '
                    'fails its CRC check). ' + _USE_ANOTHER)
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        # a killed save or a partial copy loses the directory at the end
        return _bad(
            f'it is a truncated or corrupt zip archive (zipfile: {err}), '
            'e.g. a checkpoint written only partly because the run was '
            'killed or the disk filled up while saving, or an incomplete '
            'copy. ' + _USE_ANOTHER)
    return _Verdict('intact')


def _inspect_pickle(path: str, error: BaseException) -> _Verdict:
    """A file that starts like a pickle stream: torch's legacy format
    (magic number, protocol, sys info, the object, storage keys, then raw
    storage bytes) or a plain pickle, which torch.load cannot read."""
    legacy = ('it starts like a checkpoint in torch\'s legacy (non-zip) '
              'format but is truncated or corrupt')
    with open(path, 'rb') as stream:
        try:
            first = list(pickletools.genops(stream))
        except Exception as err:  # noqa: B902 no complete pickle
            return _bad(
                'it is not a checkpoint: it starts like a pickle stream '
                f'(byte 0x80) but is none ({type(err).__name__}: {err}), so '
                'it is random bytes or a damaged file. ' +
                _POINT_TO_CHECKPOINT)
        if not any(op.name.startswith(('LONG', 'INT', 'BININT'))
                   and arg == torch.serialization.MAGIC_NUMBER
                   for op, arg, _ in first):
            return _bad(
                'it is a plain pickle file, not a torch checkpoint (neither '
                "a zip archive nor a pickle stream that starts with torch's "
                'magic number): torch.load cannot read it, trusted or not. '
                'If it holds weights, load it with the code that wrote it '
                'and torch.save them. ' + _POINT_TO_CHECKPOINT)
        references: Set[str] = set()
        try:
            for _ in range(4):  # protocol, sys info, object, storage keys
                references |= _pickle_globals(stream)
        except ValueError as err:
            return _bad(f'{legacy} ({err}). {_USE_ANOTHER}')
    if isinstance(error, pickle.UnpicklingError):
        return _Verdict('trust', references=_unsafe(references))
    if isinstance(error, EOFError) or 'EOF' in str(error) or \
            'corrupt' in str(error):
        return _bad(f'{legacy} (its tensor data ends early: {error}). '
                    f'{_USE_ANOTHER}')
    return _Verdict('intact')


def _text_of(head: bytes) -> Optional[str]:
    """``head`` as text if it is printable UTF-8, else None."""
    try:
        text = head.decode('utf-8')
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:  # not just a character cut in two
            return None
        text = head[:err.start].decode('utf-8')
    if text and all(c.isprintable() or c in '\t\n\r\f' for c in text):
        return text
    return None


def _describe_foreign(head: bytes, size: int) -> str:
    """What a file that is neither a zip archive nor a pickle is."""
    if len(head) >= 9 and head[8:9] == b'{' and 0 < int.from_bytes(
            head[:8], 'little') < size:
        return ('it is a safetensors file, not a torch checkpoint: read it '
                'with safetensors.torch.load_file and torch.save the dict '
                '(e.g. {"state_dict": ...})')
    text = _text_of(head)
    if text is None:
        return ("it is not a checkpoint: neither a torch zip archive (which "
                "starts with b'PK\\x03\\x04') nor a pickle stream (which "
                f'starts with b\'\\x80\'); it starts with {head[:8]!r}. '
                + _POINT_TO_CHECKPOINT)
    if text.startswith('version https://git-lfs'):
        return ('it is a Git LFS pointer, not the checkpoint itself: fetch '
                'the file with `git lfs pull` in its repository')
    if text.lstrip()[:15].lower().startswith(('<!doctype html', '<html')):
        return ('it is an HTML page, not a checkpoint (a failed download?): '
                'download the file again')
    lines = text.strip().splitlines()
    if len(lines) == 1 and size <= len(head) and lines[0].endswith(
            ('.pth', '.pt', '.ckpt')):
        return (f'it is a text file that names {lines[0]!r} (as the '
                "'last_checkpoint' file of an mmengine work dir does), not "
                'a checkpoint: pass the checkpoint it names')
    snippet = text[:40] + ('...' if len(text) > 40 else '')
    return (f'it is a text file, not a checkpoint (it starts with '
            f'{snippet!r}). ' + _POINT_TO_CHECKPOINT)


def _inspect_failed_load(path: str, error: BaseException) -> _Verdict:
    """Why ``torch.load(path, weights_only=True)`` raised ``error``.

    Reads the file's bytes only; nothing in it is unpickled.
    """
    try:
        size = osp.getsize(path)
        with open(path, 'rb') as stream:
            head = stream.read(512)
    except OSError as err:
        return _bad(f'the file cannot be read ({err.strerror or err})')
    if size == 0:
        return _bad('the file is empty (0 bytes), e.g. the run was killed '
                    'while saving it or a copy failed. ' + _USE_ANOTHER)
    if head.startswith(b'PK'):
        return _inspect_zip(path, error)
    if head.startswith(_PICKLE_PROTO):
        return _inspect_pickle(path, error)
    return _bad(_describe_foreign(head, size))


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
    path = osp.expanduser(filename)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    # inspect as after a refused safe load: a readable file passes
    verdict = _inspect_failed_load(path, pickle.UnpicklingError())
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
    path = osp.expanduser(filename)
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
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
        verdict = _inspect_failed_load(path, err)
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
        raise UnsafeCheckpointError(_unsafe_message(
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


def _mmengine_local_loader(filename: str, map_location: Any) -> Any:
    """mmengine's ``CheckpointLoader`` scheme for local paths."""
    return load_local_checkpoint(filename, map_location)


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


def install() -> None:
    """Register the safe pickled form and the safe local and URL loaders.

    Idempotent; called once when :mod:`mmcae` is imported.
    """
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    loader: Callable = _mmengine_local_loader
    CheckpointLoader.register_scheme(prefixes='', loader=loader, force=True)
    # mmengine's load_from_http (used by every URL-like scheme) calls this
    # module-level name on rank 0, then on the other ranks after a barrier
    from mmengine.runner import checkpoint as mmengine_checkpoint
    mmengine_checkpoint.load_url = load_url_checkpoint


install()
