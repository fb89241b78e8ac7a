"""Distributed runs on machines without CUDA.

mmengine's ``init_dist('pytorch')`` always calls ``torch.cuda.set_device``
(which raises on a machine without a GPU, CUDA build of torch or not) and
its DDP wrapper always passes ``device_ids=[LOCAL_RANK]`` (which
``DistributedDataParallel`` rejects for CPU modules). So, when there is no
CUDA device, :func:`prepare_distributed` initializes the process group
itself with the gloo backend (mmengine then skips its own init) and asks
for a CPU DDP wrapper,
:class:`mmcae.engine.model_wrappers.CPUDistributedDataParallel` (which also
turns SyncBatchNorm into BatchNorm). On GPU machines nothing changes.
"""
import torch
import torch.distributed as torch_dist
from mmengine.config import Config

from .errors import UserError

#: wrappers that are torch DistributedDataParallel subclasses
_DDP_WRAPPERS = ('MMDistributedDataParallel', 'DistributedDataParallel',
                 'mmcae.CPUDistributedDataParallel',
                 'CPUDistributedDataParallel')


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
    # (Config.setdefault returns the plain default, not the stored copy)
    if cfg.get('env_cfg') is None:
        cfg.env_cfg = dict()
    if cfg.env_cfg.get('dist_cfg') is None:
        cfg.env_cfg.dist_cfg = dict()
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    if not torch_dist.is_initialized():
        # imported before the group exists: its functions take the default
        # group as a default argument (``group=group.WORLD``), evaluated at
        # import, which would keep the group, and gloo's threads, alive
        # until the interpreter's teardown (see
        # :func:`mmcae.utils.cli.finish_distributed`)
        from torch.distributed.nn import functional  # noqa: F401
        torch_dist.init_process_group(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg')
    if wrapper is None:
        wrapper = dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    if wrapper.get('type', 'MMDistributedDataParallel') == \
            'MMDistributedDataParallel':
        wrapper['type'] = 'mmcae.CPUDistributedDataParallel'
    if wrapper['type'] in _DDP_WRAPPERS:
        wrapper['device_ids'] = None  # CPU module: DDP wants no device ids
    cfg.model_wrapper_cfg = wrapper


def gather_batch(tensor: torch.Tensor,
                 with_grad: bool = False) -> 'tuple[torch.Tensor, int]':
    """Concatenate every process's batch (dim 0), in rank order.

    Batches of different sizes (a last, smaller batch) are padded for the
    collective and cut back. One process: the tensor itself.

    Args:
        tensor (Tensor): (B, ...) this process's batch.
        with_grad (bool): keep the autograd graph: gradients of the other
            processes' losses flow back to this process's ``tensor``
            (``torch.distributed.nn.functional.all_gather``); with DDP's
            gradient averaging this gives the gradients of one process
            computing the loss on the concatenated batch. False: the
            gathered tensor is a constant.

    Returns:
        tuple[Tensor, int]: the global batch and the index of this
        process's first sample in it.
    """
    if not (torch_dist.is_available() and torch_dist.is_initialized()) or \
            torch_dist.get_world_size() == 1:
        return (tensor if with_grad else tensor.detach()), 0
    world_size = torch_dist.get_world_size()
    rank = torch_dist.get_rank()
    size = torch.tensor([tensor.shape[0]], device=tensor.device)
    sizes = [torch.zeros_like(size) for _ in range(world_size)]
    torch_dist.all_gather(sizes, size)
    sizes = [int(s.item()) for s in sizes]
    largest = max(sizes)
    padded = tensor
    if tensor.shape[0] < largest:
        padding = tensor.new_zeros((largest - tensor.shape[0], ) +
                                   tuple(tensor.shape[1:]))
        padded = torch.cat([tensor, padding])
    if with_grad:
        from torch.distributed.nn.functional import all_gather
        parts = list(all_gather(padded))
    else:
        parts = [torch.empty_like(padded) for _ in range(world_size)]
        torch_dist.all_gather(parts, padded.detach().contiguous())
    gathered = torch.cat([part[:n] for part, n in zip(parts, sizes)])
    return gathered, sum(sizes[:rank])
