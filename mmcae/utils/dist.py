"""Distributed runs on machines without CUDA.

mmengine's ``init_dist('pytorch')`` always calls ``torch.cuda.set_device``
(which raises on a machine without a GPU, CUDA build of torch or not) and
its DDP wrapper always passes ``device_ids=[LOCAL_RANK]`` (which
``DistributedDataParallel`` rejects for CPU modules). So, when there is no
CUDA device, :func:`prepare_distributed` initializes the process group
itself with the gloo backend (mmengine then skips its own init) and asks
for a CPU DDP wrapper. On GPU machines it changes nothing.
"""
import torch
import torch.distributed as torch_dist
from mmengine.config import Config

from .errors import UserError

#: wrappers that are torch DistributedDataParallel subclasses
_DDP_WRAPPERS = ('MMDistributedDataParallel', 'DistributedDataParallel')


def prepare_distributed(cfg: Config, launcher: str) -> None:
    """Make ``cfg`` run distributed on CPU (gloo) when CUDA is absent.

    Args:
        cfg (Config): the run's config; ``env_cfg.dist_cfg.backend`` and
            ``model_wrapper_cfg`` are set in place.
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.

    Raises:
        UserError: a launcher other than ``pytorch`` without CUDA.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise UserError(
            f"--launcher {launcher} needs CUDA devices; on a machine without "
            'them use tools/dist_train.sh (torchrun, --launcher pytorch), '
            'which falls back to the gloo backend on CPU.')
    env_cfg = cfg.setdefault('env_cfg', {})
    env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg')
    if wrapper is None:
        wrapper = dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    if wrapper.get('type', 'MMDistributedDataParallel') in _DDP_WRAPPERS:
        wrapper['device_ids'] = None  # CPU module: DDP wants no device ids
    cfg.model_wrapper_cfg = wrapper
