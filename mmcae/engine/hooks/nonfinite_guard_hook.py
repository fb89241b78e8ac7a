"""Stop a run at the first non-finite loss; never save non-finite weights.

mmengine trains on through NaN: a diverged run goes to its last epoch,
exits 0 and rotates the last good checkpoint away with checkpoints whose
weights are NaN. The official CAE and MAE pretraining loops stop at the
first non-finite loss (``if not math.isfinite(loss_value): ...
sys.exit(1)``: Atten4Vis/CAE ``furnace/engine_for_pretraining.py`` line 78,
facebookresearch/mae ``engine_pretrain.py`` line 52). mmdet's
``CheckInvalidLossHook`` checks only the total loss, every 50 iterations,
with an ``assert``, and does not protect checkpoints. This hook checks
every loss term of every iteration (the values are already on the host:
mmengine's RuntimeInfoHook reads them each iteration) and every floating
tensor of a checkpoint before it is written.

mmcae's runner registers it as ``default_hooks.nonfinite_guard``; turn it
off with ``--cfg-options default_hooks.nonfinite_guard=None``.
"""
import math
from typing import Dict, List, Optional

import torch
import torch.distributed as torch_dist
from mmengine.hooks import Hook

from mmcae.registry import HOOKS
from mmcae.utils.errors import UserError


class NonFiniteError(UserError):
    """Training produced a non-finite loss or weights: the run stops."""


def _as_float(value) -> Optional[float]:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return None
        return float(value.detach().float().item())
    if isinstance(value, (int, float)):
        return float(value)
    return None


def non_finite_tensors(state_dict: Dict[str, torch.Tensor]) -> List[str]:
    """Names of the floating tensors of ``state_dict`` holding NaN or Inf.
    """
    return [
        name for name, tensor in state_dict.items()
        if isinstance(tensor, torch.Tensor) and tensor.is_floating_point()
        and not bool(torch.isfinite(tensor).all())
    ]


@HOOKS.register_module()
class NonFiniteGuardHook(Hook):
    """Raise :class:`NonFiniteError` at the first iteration whose loss
    terms are not all finite, and before writing a checkpoint whose model
    weights are not all finite.

    Args:
        check_checkpoint (bool): check the weights before every checkpoint
            write. Defaults to True.
    """

    # before the LoggerHook and the CheckpointHook act on the iteration
    priority = 'ABOVE_NORMAL'

    def __init__(self, check_checkpoint: bool = True):
        self.check_checkpoint = check_checkpoint

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs:
            return
        values = {key: _as_float(value) for key, value in outputs.items()}
        values = {k: v for k, v in values.items() if v is not None}
        bad = any(not math.isfinite(v) for v in values.values())
        if torch_dist.is_available() and torch_dist.is_initialized():
            # every rank stops together, whichever one diverged
            flag = torch.tensor([float(bad)],
                                device=_collective_device())
            torch_dist.all_reduce(flag, op=torch_dist.ReduceOp.MAX)
            if flag.item() > 0 and not bad:
                raise NonFiniteError(
                    f'training stopped at iteration {runner.iter + 1}: '
                    'another process got a non-finite loss (see its log)')
        if not bad:
            return
        terms = ', '.join(f'{k}={v:.6g}' for k, v in values.items())
        raise NonFiniteError(
            f'training stopped at iteration {runner.iter + 1} (epoch '
            f'{runner.epoch + 1}): non-finite loss ({terms}). No checkpoint '
            f'was written after it; {_last_checkpoint_hint(runner)} Usual '
            'causes: a learning rate too high for the batch, fp16 overflow '
            '(try bf16 or a lower loss scale), bad input data. To train on '
            'anyway: --cfg-options default_hooks.nonfinite_guard=None')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if not self.check_checkpoint:
            return
        bad = non_finite_tensors(checkpoint.get('state_dict', {}))
        if not bad:
            return
        shown = ', '.join(bad[:5]) + (
            f' and {len(bad) - 5} more' if len(bad) > 5 else '')
        raise NonFiniteError(
            f'training stopped at iteration {runner.iter} (epoch '
            f'{runner.epoch + 1}): {len(bad)} model tensors hold NaN or Inf '
            f'({shown}); the checkpoint was not written. '
            f'{_last_checkpoint_hint(runner)} To train on anyway: '
            '--cfg-options default_hooks.nonfinite_guard=None')


def _collective_device() -> torch.device:
    if torch_dist.get_backend() == 'nccl':
        return torch.device('cuda', torch.cuda.current_device())
    return torch.device('cpu')


def _last_checkpoint_hint(runner) -> str:
    last = runner.message_hub.get_info('last_ckpt')
    if last:
        return (f"the last checkpoint is '{last}' (tools/train.py CONFIG "
                '--resume continues from it).')
    return 'no checkpoint had been written yet.'
