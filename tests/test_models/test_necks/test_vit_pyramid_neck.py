"""ViTPyramidNeck: strides, channels and values of every level, on the
features of a real mmcae ViT, and in front of mmseg UPerHead / mmdet FPN."""
from typing import Tuple

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope
from torch import nn

from mmcae.models import ViT
from mmcae.models.necks import ViTPyramidNeck
from mmcae.registry import MODELS

EMBED = 32
TINY_ARCH = dict(embed_dims=EMBED, num_layers=4, num_heads=2,
                 mlp_hidden_dims=64)
BN = dict(type='BN')


def _vit() -> ViT:
    torch.manual_seed(0)
    vit = ViT(arch=TINY_ARCH, img_size=224, patch_size=16,
              out_indices=(0, 1, 2, 3), out_type='featmap')
    vit.init_weights()
    return vit.eval()


@pytest.fixture(scope='module')
def vit_features():
    """{(H, W): the 4 stride-16 block outputs of a tiny ViT}; 320x480
    needs the position table resized at run time."""
    vit = _vit()
    features = {}
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for size in ((224, 224), (320, 480)):
            image = torch.randn(2, 3, *size, generator=generator)
            features[size] = vit(image)
    return features


def _neck(**kwargs) -> ViTPyramidNeck:
    torch.manual_seed(2)
    kwargs.setdefault('norm_cfg', BN)
    neck = ViTPyramidNeck(in_channels=EMBED, **kwargs)
    # non-trivial norm statistics, so the 4x level's norm shows
    for module in neck.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.uniform_(module.bias, -0.5, 0.5)
    return neck.eval()


def _deconv2x2(x: torch.Tensor, weight: torch.Tensor,
               bias: torch.Tensor) -> torch.Tensor:
    """A 2x2 stride-2 transposed convolution written out: every input
    pixel (i, j) paints the output block (2i + a, 2j + b) with
    sum_c x[c, i, j] * weight[c, o, a, b] + bias[o]."""
    batch, _, height, width = x.shape
    blocks = torch.einsum('nchw,coab->nohawb', x, weight)
    out = blocks.reshape(batch, weight.shape[1], 2 * height, 2 * width)
    return out + bias[None, :, None, None]


def test_registered():
    assert MODELS.get('ViTPyramidNeck') is ViTPyramidNeck
    neck = MODELS.build(dict(type='ViTPyramidNeck', in_channels=8))
    assert isinstance(neck, ViTPyramidNeck)


@pytest.mark.parametrize('size', [(224, 224), (320, 480)])
@pytest.mark.parametrize('out_channels', [None, 24])
def test_strides_and_channels(vit_features, size: Tuple[int, int],
                              out_channels):
    feats = vit_features[size]
    height, width = size
    assert [tuple(f.shape) for f in feats] == \
        [(2, EMBED, height // 16, width // 16)] * 4
    with torch.no_grad():
        outs = _neck(out_channels=out_channels)(feats)
    channels = out_channels or EMBED
    assert [tuple(o.shape) for o in outs] == [
        (2, channels, height // stride, width // stride)
        for stride in (4, 8, 16, 32)
    ]


def test_level_values(vit_features):
    feats = vit_features[(320, 480)]
    neck = _neck()
    with torch.no_grad():
        up4, up2, same, down2 = neck(feats)
    # 1x: the input itself
    assert torch.equal(same, feats[2])
    # 0.5x: max-pool 2
    assert torch.equal(down2, F.max_pool2d(feats[3], 2))
    # 2x: one deconv with the module's weights
    deconv = neck.resamplers[1][0]
    expected = F.conv_transpose2d(feats[1], deconv.weight, deconv.bias,
                                  stride=2)
    assert torch.equal(up2, expected)
    assert torch.allclose(up2, _deconv2x2(feats[1], deconv.weight,
                                          deconv.bias), atol=1e-5)
    # 4x: deconv, BN (eval statistics), GELU, deconv
    first, norm, _, second = neck.resamplers[0]
    hidden = _deconv2x2(feats[0], first.weight, first.bias)
    hidden = (hidden - norm.running_mean[None, :, None, None]) / torch.sqrt(
        norm.running_var[None, :, None, None] + norm.eps)
    hidden = hidden * norm.weight[None, :, None, None] + \
        norm.bias[None, :, None, None]
    hidden = 0.5 * hidden * (1 + torch.erf(hidden / 2**0.5))
    expected = _deconv2x2(hidden, second.weight, second.bias)
    assert torch.allclose(up4, expected, atol=1e-5)


def test_out_channels_is_a_1x1_conv_per_level(vit_features):
    feats = vit_features[(224, 224)]
    plain, projected = _neck(), _neck(out_channels=24)
    projected.resamplers.load_state_dict(plain.resamplers.state_dict())
    with torch.no_grad():
        levels = plain(feats)
        outs = projected(feats)
    for level, conv, out in zip(levels, projected.out_convs, outs):
        expected = torch.einsum('bchw,oc->bohw', level,
                                conv.weight[:, :, 0, 0])
        expected = expected + conv.bias[None, :, None, None]
        assert torch.allclose(out, expected, atol=1e-5)


def test_single_input_feeds_every_level(vit_features):
    # ViTDet style: the last block only
    last = vit_features[(224, 224)][-1]
    neck = _neck()
    with torch.no_grad():
        from_tensor = neck(last)
        from_tuple = neck((last, ))
        from_four = neck((last, ) * 4)
    for first, second, third in zip(from_tensor, from_tuple, from_four):
        assert torch.equal(first, third) and torch.equal(second, third)


def test_configurable_scales():
    neck = _neck(scales=(8, 2, 1, 0.5, 0.25))
    feat = torch.randn(1, EMBED, 4, 6)
    outs = neck(feat)
    assert [tuple(o.shape[-2:]) for o in outs] == [(32, 48), (8, 12),
                                                   (4, 6), (2, 3), (1, 1)]
    # 8x: deconv, norm, GELU, deconv, norm, GELU, deconv
    kinds = [type(m).__name__ for m in neck.resamplers[0]]
    assert kinds == ['ConvTranspose2d', 'BatchNorm2d', 'GELU',
                     'ConvTranspose2d', 'BatchNorm2d', 'GELU',
                     'ConvTranspose2d']
    assert torch.equal(outs[4], F.max_pool2d(feat, 4))


def test_default_syncbn_runs_on_one_cpu_process():
    default = ViTPyramidNeck(in_channels=EMBED)
    assert isinstance(default.resamplers[0][1], nn.SyncBatchNorm)
    plain = ViTPyramidNeck(in_channels=EMBED, norm_cfg=BN)
    plain.load_state_dict(default.state_dict())
    feats = tuple(torch.randn(2, EMBED, 3, 3) for _ in range(4))
    # training mode: batch statistics, same as BatchNorm
    for first, second in zip(default.train()(feats), plain.train()(feats)):
        assert torch.allclose(first, second, atol=1e-6)


@pytest.mark.parametrize('kwargs, inputs, message', [
    (dict(), 3, 'takes 4 feature maps or a single one, got 3'),
    (dict(), 5, 'got 5'),
    (dict(scales=(4, 3)), 2, 'powers of two'),
    (dict(scales=(4, 0)), 2, 'positive'),
    (dict(scales=()), 1, 'at least one'),
    (dict(norm_cfg=dict(type='LN')), 4, 'last dimension'),
])
def test_clear_errors(kwargs: dict, inputs: int, message: str):
    feats = [torch.zeros(1, EMBED, 2, 2)] * inputs
    with pytest.raises(ValueError, match=message):
        _neck(**kwargs)(feats)


def test_wrong_input_channels():
    with pytest.raises(ValueError, match=r'\(B, 32, H, W\)'):
        _neck()([torch.zeros(1, 16, 2, 2)] * 4)


def _build_in_scope(scope: str, cfg: dict) -> nn.Module:
    with DefaultScope.overwrite_default_scope(scope):
        return ROOT_MODELS.build(cfg)


def test_in_front_of_mmseg_uperhead():
    model = _build_in_scope(
        'mmseg',
        dict(type='EncoderDecoder',
             backbone=dict(type='mmcae.ViT', arch=TINY_ARCH, img_size=64,
                           patch_size=16, out_indices=(0, 1, 2, 3),
                           out_type='featmap'),
             neck=dict(type='mmcae.ViTPyramidNeck', in_channels=EMBED,
                       norm_cfg=BN),
             decode_head=dict(type='UPerHead', in_channels=[EMBED] * 4,
                              in_index=[0, 1, 2, 3], channels=16,
                              num_classes=3, norm_cfg=BN)))
    assert isinstance(model.neck, ViTPyramidNeck)
    model.eval()
    with torch.no_grad():
        logits = model(torch.randn(2, 3, 64, 96), mode='tensor')
    assert logits.shape == (2, 3, 16, 24)
    assert torch.isfinite(logits).all()


def test_in_front_of_mmdet_fpn(vit_features):
    fpn = _build_in_scope(
        'mmdet',
        dict(type='FPN', in_channels=[EMBED] * 4, out_channels=16,
             num_outs=5))
    with torch.no_grad():
        pyramid = _neck()(vit_features[(320, 480)])
        outs = fpn(pyramid)
    assert [tuple(o.shape) for o in outs] == [
        (2, 16, 320 // stride, -(-480 // stride))
        for stride in (4, 8, 16, 32, 64)
    ]
