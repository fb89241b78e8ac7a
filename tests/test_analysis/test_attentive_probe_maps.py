"""mmcae.analysis.attentive_probe_maps: the probe's map is the
head-averaged softmax(q k^T / sqrt(d)) of its learned query over the
patches, computed here by hand for a tiny probe, and the forward output is
left alone."""
import math

import pytest
import torch

from mmcae.analysis import probe_attention_maps
from tests.helpers import TINY_VIT, perturb


def tiny_probe(use_cls_token: bool = True):
    """An ImageClassifier: tiny mmcae.ViT (raw tokens) + AttentiveProbeHead
    (32 px images, 8 px patches, 2 heads), with perturbed weights."""
    from mmpretrain.models import ImageClassifier

    import mmcae.models  # noqa: F401
    from mmcae.analysis.models import _quiet_init_weights
    torch.manual_seed(0)
    model = ImageClassifier(
        backbone=dict(
            type='mmcae.ViT',
            arch=TINY_VIT,
            img_size=32,
            patch_size=8,
            qkv_bias='qv',
            out_type='raw',
            frozen_stages=2),
        head=dict(
            type='mmcae.AttentiveProbeHead',
            num_classes=3,
            in_channels=32,
            num_heads=2,
            use_cls_token=use_cls_token,
            topk=(1, )))
    _quiet_init_weights(model)
    perturb(model, seed=2)
    with torch.no_grad():  # a sharper, non-uniform attention
        model.head.cross_attn.q.weight.mul_(20)
    return model.eval()


def _hand_map(model, images):
    """(B, tokens) head-averaged weights of the probe query, by hand."""
    head, attn = model.head, model.head.cross_attn
    tokens = model.backbone(images)[-1]
    if not head.use_cls_token:
        tokens = tokens[:, 1:]
    batch, length, channels = tokens.shape
    dim = channels // attn.num_heads
    q = head.norm_q(head.query_token) @ attn.q.weight.T + attn.q_bias
    k = head.norm_k(tokens) @ attn.k.weight.T
    q = q.view(1, 1, attn.num_heads, dim).transpose(1, 2)
    k = k.view(batch, length, attn.num_heads, dim).transpose(1, 2)
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dim), -1)
    return weights.mean(1)[:, 0].double()


@torch.no_grad()
@pytest.mark.parametrize('use_cls_token', [True, False])
def test_probe_map_is_the_hand_computed_cross_attention(use_cls_token):
    model = tiny_probe(use_cls_token)
    images = torch.randn(3, 3, 32, 32)
    logits = model(images, mode='tensor')
    maps, prefix = probe_attention_maps(model, images, batch_size=2)
    torch.testing.assert_close(model(images, mode='tensor'), logits)
    weights = _hand_map(model, images)
    patches = weights[:, 1:] if use_cls_token else weights
    expected = patches / patches.sum(-1, keepdim=True)
    assert maps.shape == (3, 4, 4)
    torch.testing.assert_close(maps.flatten(1), expected, atol=1e-6, rtol=1e-5)
    if use_cls_token:
        torch.testing.assert_close(prefix, weights[:, 0], atol=1e-6, rtol=1e-5)
        assert (prefix > 0).all()
    else:
        assert (prefix == 0).all()
    assert maps.flatten(1).max(-1).values.min() > 2 / 16  # not uniform


def test_a_head_without_attention_map_is_refused():
    from mmpretrain.models import ImageClassifier
    model = ImageClassifier(
        backbone=dict(
            type='mmcae.ViT', arch=TINY_VIT, img_size=32, patch_size=8),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=32))
    with pytest.raises(ValueError, match='has no attention_map'):
        probe_attention_maps(model.eval(), torch.randn(1, 3, 32, 32))
