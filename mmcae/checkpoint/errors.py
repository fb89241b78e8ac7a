"""The errors of checkpoint reading and loading.

Every one is a :class:`~mmcae.utils.errors.UserError` (the tools print its
message alone and exit with status 2) whose message names the file and says
what to do. Each also derives from the built-in error that callers caught
before these types existed (``FileNotFoundError``, ``ValueError``,
``pickle.UnpicklingError``), so ``except ValueError`` keeps working.
"""
import pickle

from mmcae.utils.errors import UserError


class CheckpointNotFoundError(FileNotFoundError, UserError):
    """No file at the given path."""


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


class CheckpointFormatError(ValueError, UserError):
    """The checkpoint's content is not what the caller needs: no state dict
    of tensors, or a ViT layout we cannot convert."""


class CheckpointMismatchError(CheckpointFormatError):
    """A state dict that does not fit the model it is loaded into (missing
    keys, unexpected keys or shapes that differ)."""
