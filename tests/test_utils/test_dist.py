"""CPU distributed runs: the gloo set-up and the DDP wrapper that turns
SyncBatchNorm into BatchNorm (torch's SyncBatchNorm raises on CPU tensors
in a process group)."""
import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS
from torch import nn

from mmcae.engine.model_wrappers import CPUDistributedDataParallel
from mmcae.registry import MODEL_WRAPPERS as MMCAE_MODEL_WRAPPERS
from mmcae.utils.dist import prepare_distributed

from tests.helpers import free_port


def test_wrapper_registered_where_the_registry_looks():
    # the name prepare_distributed writes resolves through the mmcae
    # registry alone: its locations import the module that registers it
    assert CPUDistributedDataParallel.__module__.startswith(
        tuple(MMCAE_MODEL_WRAPPERS._locations))
    assert MODEL_WRAPPERS.get('mmcae.CPUDistributedDataParallel') is \
        CPUDistributedDataParallel


def test_prepare_distributed_asks_for_the_cpu_wrapper(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(torch_dist, 'is_initialized', lambda: True)
    cfg = Config(dict(find_unused_parameters=True))
    prepare_distributed(cfg, 'pytorch')
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg == dict(
        type='mmcae.CPUDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=True,
        device_ids=None)
    # a config's own wrapper type is kept
    cfg = Config(dict(model_wrapper_cfg=dict(type='DistributedDataParallel')))
    prepare_distributed(cfg, 'pytorch')
    assert cfg.model_wrapper_cfg == dict(
        type='DistributedDataParallel', device_ids=None)


def test_cpu_wrapper_replaces_sync_batchnorm():
    torch_dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{free_port()}', rank=0,
        world_size=1)
    try:
        model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.SyncBatchNorm(4))
        with torch.no_grad():
            model[1].weight.fill_(2.)
        wrapper = MODEL_WRAPPERS.build(
            dict(type='mmcae.CPUDistributedDataParallel', device_ids=None),
            default_args=dict(module=model))
        assert isinstance(wrapper, CPUDistributedDataParallel)
        norm = wrapper.module[1]
        assert not isinstance(norm, nn.SyncBatchNorm)
        assert isinstance(norm, nn.modules.batchnorm._BatchNorm)
        assert norm.weight is model[1].weight  # the same parameters
        out = wrapper(torch.randn(2, 3, 4, 4))
        assert out.shape == (2, 4, 4, 4)
        assert torch.allclose(out.mean(dim=(0, 2, 3)), norm.bias, atol=1e-5)
    finally:
        torch_dist.destroy_process_group()
