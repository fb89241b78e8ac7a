"""Mixed precision on a CPU: bfloat16 autocast, the CPU counterpart of
mmengine's ``AmpOptimWrapper``.

Why our own wrapper: mmengine 0.10's ``AmpOptimWrapper`` asserts a CUDA,
NPU, MLU or MUSA device in its ``__init__`` (and its ``autocast`` helper
picks the CUDA device type), so ``--amp`` and every ``*-amp-*`` paper config
fail on a CPU-only machine. :class:`CPUBF16OptimWrapper` runs the forward
pass (``optim_context``) under ``torch.autocast('cpu',
dtype=torch.bfloat16)``; backward and the optimizer step are mmengine's
``OptimWrapper``'s (fp32 parameters, gradients and optimizer state).

No loss scaler: bfloat16 has float32's 8-bit exponent, so gradients do not
underflow as float16's (5-bit exponent) do; its cost is the 8-bit mantissa
(relative rounding ~2**-9 = 0.2 % per rounded operand).

:func:`cpu_bf16_optim_wrapper_cfg` turns an ``AmpOptimWrapper`` config into
this wrapper's; :class:`mmcae.engine.Runner` applies it when no CUDA device
is available and ``tools/train.py --amp`` selects it on a CPU. The wrapper
logs one notice line of the precision used when it is built
(:data:`NOTICE`).
"""
import logging
from contextlib import contextmanager
from typing import Any, Optional, Union

import torch
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from torch import nn

from mmcae.registry import OPTIM_WRAPPERS

#: the wrapper's registered name, as configs write it
CPU_BF16_WRAPPER = 'mmcae.CPUBF16OptimWrapper'

NOTICE = ('mixed precision: CUDA not available, training in CPU bfloat16 '
          f'autocast ({CPU_BF16_WRAPPER})')


def accelerator_available() -> bool:
    """Whether mmengine's ``AmpOptimWrapper`` can run here (a CUDA, NPU,
    MLU or MUSA device is available)."""
    from mmengine.device import (is_cuda_available, is_mlu_available,
                                 is_musa_available, is_npu_available)
    return bool(is_cuda_available() or is_npu_available()
                or is_mlu_available() or is_musa_available())


def is_amp_wrapper_type(wrapper_type: Any) -> bool:
    """Whether an optim-wrapper ``type`` names mmengine's
    ``AmpOptimWrapper`` (bare, scoped as ``mmengine.AmpOptimWrapper``, or
    the class or a subclass)."""
    if isinstance(wrapper_type, str):
        return wrapper_type.split('.')[-1] == 'AmpOptimWrapper'
    return isinstance(wrapper_type, type) and issubclass(
        wrapper_type, AmpOptimWrapper)


def cpu_bf16_optim_wrapper_cfg(cfg: dict) -> dict:
    """An ``AmpOptimWrapper`` (or ``OptimWrapper``) config as a
    :class:`CPUBF16OptimWrapper` config: same optimizer, constructor,
    clipping and accumulation; ``loss_scale`` and ``use_fsdp`` dropped (no
    scaler on a CPU) and a float16 ``dtype`` dropped (CPU autocast runs
    bfloat16)."""
    cfg = dict(cfg)
    cfg['type'] = CPU_BF16_WRAPPER
    for key in ('loss_scale', 'use_fsdp'):
        cfg.pop(key, None)
    if cfg.get('dtype') not in (None, 'bfloat16', torch.bfloat16):
        cfg.pop('dtype')
    return cfg


@OPTIM_WRAPPERS.register_module()
class CPUBF16OptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward pass runs under CPU bfloat16
    autocast (module docstring).

    Config::

        optim_wrapper = dict(type='mmcae.CPUBF16OptimWrapper',
                             optimizer=dict(type='AdamW', lr=1.5e-3))

    Args:
        loss_scale: accepted for ``AmpOptimWrapper`` configs and ignored
            (bfloat16 needs no loss scaling).
        dtype (str | torch.dtype, optional): None or 'bfloat16' (the only
            type this wrapper autocasts to).
        use_fsdp (bool): accepted for ``AmpOptimWrapper`` configs; must be
            False.
        **kwargs: mmengine ``OptimWrapper`` arguments (``optimizer``,
            ``accumulative_counts``, ``clip_grad``).

    Checkpoints: ``state_dict`` is ``OptimWrapper``'s. A checkpoint written
    by ``AmpOptimWrapper`` loads: its ``loss_scaler`` state is kept
    unchanged and written again by ``state_dict``, so a run resumed later
    on a GPU continues with its scaler.
    """

    def __init__(self,
                 loss_scale: Any = None,
                 dtype: Optional[Union[str, torch.dtype]] = None,
                 use_fsdp: bool = False,
                 **kwargs):
        if dtype not in (None, 'bfloat16', torch.bfloat16):
            raise ValueError(
                f'{CPU_BF16_WRAPPER}: optim_wrapper.dtype={dtype!r}; CPU '
                "autocast runs bfloat16: set dtype='bfloat16' or remove it")
        if use_fsdp:
            raise ValueError(f'{CPU_BF16_WRAPPER}: optim_wrapper.use_fsdp='
                             'True needs CUDA (FSDP); remove it')
        super().__init__(**kwargs)
        self.cast_dtype = torch.bfloat16
        self._loss_scaler_state: Optional[dict] = None
        if accelerator_available():
            print_log(
                f'{CPU_BF16_WRAPPER} autocasts CPU operations only; on a GPU '
                "use mmengine's AmpOptimWrapper",
                logger='current',
                level=logging.WARNING)
        else:
            print_log(NOTICE, logger='current', level=logging.INFO)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """mmengine's context (no gradient sync while accumulating) and
        CPU bfloat16 autocast."""
        with super().optim_context(model), torch.autocast(
                'cpu', dtype=torch.bfloat16):
            yield

    def state_dict(self) -> dict:
        """The optimizer's state (and the ``loss_scaler`` state of a
        loaded ``AmpOptimWrapper`` checkpoint, unchanged)."""
        state_dict = super().state_dict()
        if self._loss_scaler_state is not None:
            state_dict['loss_scaler'] = self._loss_scaler_state
        return state_dict

    def load_state_dict(self, state_dict: dict) -> None:
        """Load an ``OptimWrapper`` or ``AmpOptimWrapper`` state."""
        state_dict = dict(state_dict)
        loss_scaler = state_dict.pop('loss_scaler', None)
        if loss_scaler is not None:
            self._loss_scaler_state = loss_scaler
        super().load_state_dict(state_dict)
