"""OpenAI's DALL-E encoder as CAE's tokenizer.

The architecture is mmpretrain's ``DALL-E`` encoder (``type=
'mmpretrain.DALL-E'``), which keeps OpenAI's parameter names
(``blocks.group_1.block_1.res_path.conv_1.w`` ...), so a plain state dict
with those names loads into it directly. OpenAI released the encoder as
``encoder.pkl``: a PICKLED MODULE whose classes live in the ``dall_e``
package. Unpickling it can run code, and needs that package;
:func:`load_openai_dalle_encoder` reads it without the package, only when
the caller explicitly trusts the file, and returns a plain state dict that
loads safely from then on::

    python tools/model_converters/convert_dalle_encoder.py --trust \\
        encoder.pkl weights/dalle_encoder.pth

CAE uses the tokenizer frozen, on a 112-px view mapped to ``0.8 * x / 255
+ 0.1`` (CAE Sec. 3; mmpretrain's ``TwoNormDataPreprocessor`` with
``second_mean=-31.875``, ``second_std=318.75``); the targets are the argmax
over the 8192 logits of each of the 14 x 14 positions.
"""
import os.path as osp
import pickle
from collections import OrderedDict
from typing import Dict

import torch
from torch import nn

from mmcae.utils.checkpoint_compat import (TRUST_ENV_VAR,
                                           UnsafeCheckpointError,
                                           is_trusted_by_env)


class _PickledDalleModule(nn.Module):
    """Stands in for any ``dall_e`` class while unpickling: it takes the
    module's pickled state (parameters, submodules), which is all we keep.
    """

    def forward(self, *args, **kwargs):  # pragma: no cover - never called
        raise RuntimeError('a stand-in for an unpickled dall_e module')


class _DalleUnpickler(pickle.Unpickler):

    def find_class(self, module: str, name: str):
        if module == 'dall_e' or module.startswith('dall_e.'):
            return _PickledDalleModule
        return super().find_class(module, name)


class _DallePickleModule:
    """A ``pickle_module`` for ``torch.load`` that maps dall_e classes."""
    Unpickler = _DalleUnpickler
    load = pickle.load
    __name__ = 'mmcae_dalle_pickle'


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
        UnsafeCheckpointError: without trust.
        ValueError: the file holds no DALL-E encoder.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'DALL-E encoder file not found: {path}')
    if not (trust or is_trusted_by_env()):
        raise UnsafeCheckpointError(
            f"'{path}' is a pickled DALL-E module: loading it unpickles "
            'arbitrary objects. If you trust it, pass --trust (or set '
            f'{TRUST_ENV_VAR}=1); the result is saved as a plain state '
            'dict that loads safely.')
    module = torch.load(
        path, map_location='cpu', weights_only=False,
        pickle_module=_DallePickleModule)
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
