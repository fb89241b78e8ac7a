"""``mmcae.`` types resolve from mmpretrain, mmseg and mmdet scopes."""
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import DefaultOptimWrapperConstructor, build_optim_wrapper
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope
from torch import nn

from mmcae.registry import ALL_REGISTRIES, MODELS, OPTIM_WRAPPER_CONSTRUCTORS


@MODELS.register_module(force=True)
class _ToyPyramid(nn.Module):
    """Two feature maps of known values: stride 4 and 8, ``width`` channels
    (what mmseg and mmdet necks/heads expect from a backbone)."""

    def __init__(self, width: int = 8, scale: float = 1.0):
        super().__init__()
        self.width = width
        self.proj = nn.Conv2d(3, width, 4, stride=4)
        nn.init.constant_(self.proj.weight, scale)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x):
        first = self.proj(x)
        return (first, nn.functional.max_pool2d(first, 2))


@OPTIM_WRAPPER_CONSTRUCTORS.register_module(force=True)
class _HalfLrForBackbone(DefaultOptimWrapperConstructor):
    """Puts backbone params at half the base lr (to observe it was used)."""

    def __init__(self, optim_wrapper_cfg, paramwise_cfg=None):
        paramwise_cfg = dict(custom_keys={'backbone': dict(lr_mult=0.5)})
        super().__init__(optim_wrapper_cfg, paramwise_cfg)


def _build_in_scope(scope: str, model_cfg: dict) -> nn.Module:
    """Build like mmengine's Runner does: root MODELS, default scope set."""
    cfg = Config(dict(default_scope=scope, model=model_cfg))
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return ROOT_MODELS.build(cfg.model)


def _check_toy_backbone(backbone: nn.Module) -> None:
    assert isinstance(backbone, _ToyPyramid) and backbone.width == 8
    image = torch.ones(1, 3, 32, 32)
    first, second = backbone(image)
    # every output = sum of a 4x4x3 window of ones times scale 0.5 = 24
    assert first.shape == (1, 8, 8, 8) and second.shape == (1, 8, 4, 4)
    assert torch.allclose(first, torch.full_like(first, 24.0))


def test_mmcae_type_in_mmpretrain_classifier():
    model = _build_in_scope(
        'mmpretrain',
        dict(
            type='ImageClassifier',
            backbone=dict(type='mmcae._ToyPyramid', width=8, scale=0.5),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead', num_classes=3, in_channels=8)))
    assert type(model).__module__.startswith('mmpretrain')
    _check_toy_backbone(model.backbone)
    scores = model(torch.ones(2, 3, 32, 32), mode='tensor')
    assert scores.shape == (2, 3)


def test_mmcae_type_in_mmseg_encoder_decoder():
    model = _build_in_scope(
        'mmseg',
        dict(
            type='EncoderDecoder',
            backbone=dict(type='mmcae._ToyPyramid', width=8, scale=0.5),
            decode_head=dict(
                type='FCNHead',
                in_channels=8,
                channels=8,
                in_index=0,
                num_convs=1,
                num_classes=2)))
    assert type(model).__module__.startswith('mmseg')
    _check_toy_backbone(model.backbone)
    logits = model(torch.ones(1, 3, 32, 32), mode='tensor')
    assert logits.shape == (1, 2, 8, 8)  # decode head at stride 4


def test_mmcae_type_and_constructor_in_mmdet():
    model = _build_in_scope(
        'mmdet',
        dict(
            type='RetinaNet',
            backbone=dict(type='mmcae._ToyPyramid', width=8, scale=0.5),
            neck=dict(
                type='FPN', in_channels=[8, 8], out_channels=8, num_outs=2),
            bbox_head=dict(
                type='RetinaHead',
                num_classes=2,
                in_channels=8,
                feat_channels=8,
                stacked_convs=1,
                anchor_generator=dict(
                    type='AnchorGenerator',
                    octave_base_scale=4,
                    scales_per_octave=1,
                    ratios=[1.0],
                    strides=[4, 8]))))
    assert type(model).__module__.startswith('mmdet')
    _check_toy_backbone(model.backbone)
    with DefaultScope.overwrite_default_scope('mmdet'):
        wrapper = build_optim_wrapper(
            model,
            dict(
                constructor='mmcae._HalfLrForBackbone',
                optimizer=dict(type='SGD', lr=0.1)))
    backbone_ids = {id(p) for p in model.backbone.parameters()}
    for group in wrapper.optimizer.param_groups:
        expected = 0.05 if id(group['params'][0]) in backbone_ids else 0.1
        assert group['lr'] == pytest.approx(expected)


def test_registries_are_children_of_mmengine_roots():
    import mmengine.registry as root
    assert len(ALL_REGISTRIES) == 22
    for name, registry in ALL_REGISTRIES.items():
        assert registry.scope == 'mmcae'
        assert registry.parent is getattr(root, name), name
        assert root.__dict__[name]._children['mmcae'] is registry


def test_scope_prefix_imports_mmcae_lazily():
    """A framework registry finds ``mmcae.`` names with no mmcae import."""
    code = (
        'import sys\n'
        'from mmpretrain.registry import MODELS\n'
        "assert 'mmcae' not in sys.modules\n"
        "assert MODELS.get('mmcae.NoSuchThing') is None\n"
        "assert 'mmcae.registry' in sys.modules\n"
        "assert 'mmcae.models' in sys.modules  # locations were imported\n"
        'from mmengine.registry import MODELS as ROOT\n'
        "assert ROOT._children['mmcae'].scope == 'mmcae'\n"
        "print('lazy ok')\n")
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'lazy ok' in result.stdout
