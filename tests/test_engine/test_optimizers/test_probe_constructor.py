"""mmcae.ProbeOptimWrapperConstructor and "frozen really means frozen":
the probes' optimizer holds only the head, one real training step leaves
the encoder bit-identical, and the encoder stays in eval mode."""
import copy

import pytest
import torch
from mmengine.config import Config

import mmcae  # noqa: F401
from mmcae.engine import ProbeOptimWrapperConstructor

pytestmark = pytest.mark.usefixtures('mmpretrain_scope')

LINEAR = 'configs/cae/benchmarks/vit-tiny-p8_linear-probe_1xb64-lars-20e_' \
    'demo-in1k.py'
ATTENTIVE = 'configs/cae/benchmarks/vit-tiny-p8_attentive-probe_1xb64-sgd-' \
    '20e_demo-in1k.py'


def _build(config: str):
    """The demo probe's model (random encoder, drop path on, to show it
    is inert) and its optimizer wrapper, from the config itself."""
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    cfg.model.backbone.drop_path_rate = 0.5
    cfg.model.backbone.drop_rate = 0.3
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


@pytest.mark.parametrize('config', [LINEAR, ATTENTIVE])
def test_one_step_changes_only_the_probe(config):
    from mmpretrain.structures import DataSample
    model, optim_wrapper = _build(config)
    head_prefix = ('head.', 'neck.')
    optimized = {id(p) for group in optim_wrapper.optimizer.param_groups
                 for p in group['params']}
    names = {n for n, p in model.named_parameters() if id(p) in optimized}
    assert names and all(n.startswith(head_prefix) for n in names)
    assert names == {n for n, _ in model.named_parameters()
                     if n.startswith(head_prefix)}

    # the encoder runs in eval mode: no drop path / dropout randomness
    assert all(not m.training for block in model.backbone.blocks
               for m in block.modules())
    assert not model.backbone.norm.training
    images = torch.randn(8, 3, 64, 64)
    with torch.no_grad():
        first = model.backbone(images)[-1]
        second = model.backbone(images)[-1]
    assert torch.equal(first, second)

    before = copy.deepcopy(model.state_dict())
    samples = [DataSample().set_gt_label(i % 8) for i in range(8)]
    data = dict(inputs=list(images.mul(50).add(128).clamp(0, 255)),
                data_samples=samples)
    losses = model.train_step(data, optim_wrapper)
    assert torch.isfinite(losses['loss'])
    after = model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    backbone = {k for k in before if k.startswith('backbone.')}
    assert not changed & backbone, sorted(changed & backbone)
    # every trainable probe weight moved (BN running stats too)
    for name in names:
        if name.endswith('.weight') and 'norm_' not in name:
            assert name in changed, name
    bn_stats = [k for k in before if k.endswith('running_mean')]
    assert bn_stats and all(k in changed for k in bn_stats)


def test_refuses_an_encoder_that_is_not_frozen():
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(LINEAR)
    cfg.model.backbone.init_cfg = None
    cfg.model.backbone.frozen_stages = 2  # of 4 blocks
    model = MODELS.build(cfg.model)
    constructor = ProbeOptimWrapperConstructor(
        dict(optimizer=dict(type='LARS', lr=1., momentum=0.9)))
    with pytest.raises(ValueError, match=r"'backbone' of a probe must be "
                       r'frozen.*blocks\.2\.'):
        constructor(model)
    # frozen_prefix=None lets a user fine-tune the unfrozen part on purpose
    optim = ProbeOptimWrapperConstructor(
        dict(optimizer=dict(type='SGD', lr=1.)),
        dict(frozen_prefix=None))(model)
    held = sum(len(g['params']) for g in optim.optimizer.param_groups)
    assert held == sum(p.requires_grad for p in model.parameters())


def test_lars_groups_and_clear_config_errors():
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(LINEAR)
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    optim = ProbeOptimWrapperConstructor(
        dict(optimizer=dict(type='LARS', lr=6.4, momentum=0.9,
                            weight_decay=1e-4)))(model)
    groups = optim.optimizer.param_groups
    assert [len(g['params']) for g in groups] == [1, 1]  # fc.weight, bias
    assert groups[0]['params'][0] is model.head.fc.weight
    assert groups[0]['weight_decay'] == 1e-4
    assert not groups[0].get('lars_exclude', False)
    assert groups[1]['lars_exclude'] and groups[1]['weight_decay'] == 0
    with pytest.raises(ValueError, match='unsupported paramwise_cfg keys'):
        ProbeOptimWrapperConstructor(
            dict(optimizer=dict(type='SGD', lr=1.)), dict(decay_mult=0.))
    with pytest.raises(ValueError, match="no submodule 'encoder'"):
        ProbeOptimWrapperConstructor(
            dict(optimizer=dict(type='SGD', lr=1.)),
            dict(frozen_prefix='encoder'))(model)
    for param in model.parameters():
        param.requires_grad = False
    with pytest.raises(ValueError, match='no trainable parameter'):
        ProbeOptimWrapperConstructor(
            dict(optimizer=dict(type='SGD', lr=1.)))(model)
