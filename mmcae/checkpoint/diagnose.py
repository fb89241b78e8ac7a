"""What a checkpoint file is, found from its bytes without unpickling it.

When torch's safe load fails, :func:`inspect_failed_load` looks at the file
(magic bytes, the zip directory, a static walk over the pickle opcodes) and
says what it is: empty, not a checkpoint at all (text, an HTML page, a Git
LFS pointer, a safetensors file, a plain pickle, random bytes), a truncated
or corrupt zip archive, a truncated file in torch's legacy format, or a
well-formed torch file whose pickle references globals outside the allow
list (the one case where trusting the file helps). Nothing in the file is
built or called.
"""
import io
import os.path as osp
import pickle
import pickletools
import zipfile
from typing import Dict, List, NamedTuple, Optional, Set, Tuple

import torch

from .safe_globals import allowed_global_names

#: how a pickle stream of protocol >= 2 (torch's legacy format, or a plain
#: pickle) begins; a torch >= 1.6 checkpoint is a zip archive (b'PK')
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


class Verdict(NamedTuple):
    """What :func:`inspect_failed_load` found.

    ``kind``: 'bad' (``detail``: what is wrong, for CheckpointReadError),
    'trust' (``references``: the globals outside the allow list) or
    'intact' (a well-formed checkpoint: torch's own error stands, e.g. a
    ``map_location`` naming a device this machine lacks).
    """
    kind: str
    detail: str = ''
    references: Tuple[str, ...] = ()


def _bad(detail: str) -> Verdict:
    return Verdict('bad', detail)


def pickle_globals(stream: io.IOBase) -> Set[str]:
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


def _unsafe(names: Set[str]) -> Tuple[str, ...]:
    return tuple(sorted(names - allowed_global_names()))


def _inspect_zip(path: str, error: BaseException) -> Verdict:
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
                references = pickle_globals(io.BytesIO(data))
            except (zipfile.BadZipFile, ValueError, OSError) as err:
                return _bad(
                    'it is a corrupt torch zip archive (its data.pkl '
                    f'record cannot be read: {err}). ' + _USE_ANOTHER)
            if isinstance(error, pickle.UnpicklingError):
                return Verdict('trust', references=_unsafe(references))
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
    return Verdict('intact')


def _inspect_pickle(path: str, error: BaseException) -> Verdict:
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
                references |= pickle_globals(stream)
        except ValueError as err:
            return _bad(f'{legacy} ({err}). {_USE_ANOTHER}')
    if isinstance(error, pickle.UnpicklingError):
        return Verdict('trust', references=_unsafe(references))
    if isinstance(error, EOFError) or 'EOF' in str(error) or \
            'corrupt' in str(error):
        return _bad(f'{legacy} (its tensor data ends early: {error}). '
                    f'{_USE_ANOTHER}')
    return Verdict('intact')


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


def inspect_failed_load(path: str, error: BaseException) -> Verdict:
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
