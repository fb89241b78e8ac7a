"""Read OpenAI's released DALL-E encoder (``encoder.pkl``).

OpenAI released the encoder as a PICKLED MODULE whose classes live in the
``dall_e`` package. Unpickling it can run code, and needs that package;
:func:`load_openai_dalle_encoder` reads it without the package (through
:func:`~mmcae.checkpoint.reader.load_pickled_module`), only when the caller
explicitly trusts the file, and returns a plain state dict with OpenAI's
parameter names (those of :class:`mmcae.models.DALLEEncoder` and of
mmpretrain's ``DALL-E`` port) that loads safely from then on::

    python tools/model_converters/convert_dalle_encoder.py --trust \\
        encoder.pkl weights/dalle_encoder.pth
"""
import os.path as osp
from collections import OrderedDict
from typing import Dict

import torch
from torch import nn

from .reader import load_pickled_module
from .trust import TRUST_ENV_VAR


def load_openai_dalle_encoder(path: str,
                              trust: bool = False) -> Dict[str, torch.Tensor]:
    """Read OpenAI's pickled ``encoder.pkl`` into a plain state dict.

    Args:
        path (str): the file.
        trust (bool): you trust the file (it is unpickled, which can run
            code). ``MMCAE_TRUST_CHECKPOINTS=1`` also counts as trust.

    Returns:
        OrderedDict: OpenAI / mmpretrain ``DALL-E`` parameter names ->
        float32 tensors.

    Raises:
        FileNotFoundError: no file at ``path``.
        UnsafeCheckpointError: without trust.
        ValueError: the file holds no DALL-E encoder.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'DALL-E encoder file not found: {path}')
    module = load_pickled_module(
        path,
        stand_in_packages=('dall_e', ),
        trust=trust,
        untrusted_message=(
            f"'{path}' is a pickled DALL-E module: loading it unpickles "
            'arbitrary objects. If you trust it, pass --trust (or set '
            f'{TRUST_ENV_VAR}=1); the result is saved as a plain state '
            'dict that loads safely.'))
    if not isinstance(module, nn.Module):
        raise ValueError(f"'{path}' holds a {type(module).__name__}, not a "
                         'pickled DALL-E encoder module')
    state = OrderedDict(
        (key, value.detach().float().contiguous())
        for key, value in module.state_dict().items())
    if 'blocks.input.w' not in state:
        raise ValueError(f"'{path}' is not a DALL-E encoder: no "
                         f"'blocks.input.w' among {list(state)[:5]}")
    return state
