"""mmengine's DDP wrapper for processes without CUDA.

On a machine without CUDA, :func:`mmcae.utils.dist.prepare_distributed`
starts a gloo process group and asks for this wrapper
(``model_wrapper_cfg=dict(type='mmcae.CPUDistributedDataParallel',
device_ids=None)``). Why not mmengine's ``MMDistributedDataParallel`` as
it is: torch's SyncBatchNorm (the norm of the BEiT / CAE / MAE dense
recipes: ViT pyramid neck, UperNet heads) synchronizes only CUDA tensors
and raises on CPU tensors once a process group exists.
"""
import logging

from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from torch import nn

from mmcae.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's DDP wrapper for processes without CUDA (gloo backend):
    SyncBatchNorm layers become BatchNorm (same parameters and statistics)
    before wrapping, since torch's SyncBatchNorm cannot run on CPU tensors
    in a process group.

    Args:
        module (nn.Module): the model.
        **kwargs: :class:`MMDistributedDataParallel` arguments
            (``device_ids`` must be None for a CPU module).
    """

    def __init__(self, module: nn.Module, **kwargs):
        if any(isinstance(m, nn.SyncBatchNorm) for m in module.modules()):
            print_log(
                'CPU distributed run: SyncBatchNorm cannot synchronize CPU '
                'tensors; every process normalizes its own batch '
                '(BatchNorm) instead', logger='current',
                level=logging.WARNING)
            module = revert_sync_batchnorm(module)
        super().__init__(module=module, **kwargs)
