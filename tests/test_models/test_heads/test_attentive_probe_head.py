"""mmcae.AttentiveProbeHead: CAE's attentive probe (one query token, one
cross-attention unit with LN on q, k, v, no residual, no MLP, BN without
affine, linear classifier)."""
import pytest
import torch
from torch import nn

from mmcae.models import AttentiveProbeHead
from mmcae.models.layers import CrossAttention


def _head(**kwargs) -> AttentiveProbeHead:
    torch.manual_seed(0)
    head = AttentiveProbeHead(
        num_classes=5, in_channels=32, num_heads=4, **kwargs)
    head.init_weights()
    # non-trivial norms and biases, so that every path is exercised
    with torch.no_grad():
        for param in head.parameters():
            if param.ndim == 1:
                param.add_(0.1 * torch.randn_like(param))
    return head


def _reference_attend(head: AttentiveProbeHead,
                      tokens: torch.Tensor) -> torch.Tensor:
    """The probe's feature written out in plain torch ops: softmax(q k^T /
    sqrt(d)) v per head, then the output projection; nothing added back."""
    attn = head.cross_attn
    heads = attn.num_heads
    batch, length, channels = tokens.shape
    dim = channels // heads
    query = head.norm_q(head.query_token.expand(batch, -1, -1))
    q = query @ attn.q.weight.T + attn.q_bias
    k = head.norm_k(tokens) @ attn.k.weight.T
    v = head.norm_v(tokens) @ attn.v.weight.T + attn.v_bias
    q = q.view(batch, 1, heads, dim).transpose(1, 2)
    k = k.view(batch, length, heads, dim).transpose(1, 2)
    v = v.view(batch, length, heads, dim).transpose(1, 2)
    weights = torch.softmax(q @ k.transpose(-2, -1) / dim**0.5, dim=-1)
    out = (weights @ v).transpose(1, 2).reshape(batch, 1, channels)
    return attn.proj(out)[:, 0]


def test_feature_equals_plain_cross_attention_and_logits_shape():
    head = _head()
    tokens = torch.randn(6, 17, 32)
    expected = _reference_attend(head, tokens)
    torch.testing.assert_close(head.attend((tokens, )), expected)
    head.eval()
    logits = head((tokens, ))
    assert logits.shape == (6, 5)
    normed = (expected - head.bn.running_mean) / torch.sqrt(
        head.bn.running_var + head.bn.eps)
    torch.testing.assert_close(logits, head.fc(normed))


def test_no_residual_output_does_not_depend_on_query_when_keys_agree():
    """With every token identical, attention weights are uniform for ANY
    query, so the attended feature is the same for two different query
    tokens; a residual (query + attention) would make them differ."""
    head = _head()
    tokens = torch.randn(1, 1, 32).expand(3, 9, 32).contiguous()
    first = head.attend((tokens, ))
    with torch.no_grad():
        head.query_token.mul_(-3.).add_(1.)
    second = head.attend((tokens, ))
    torch.testing.assert_close(first, second)
    # ... while a different query does change the output on real tokens
    varied = torch.randn(3, 9, 32)
    before = head.attend((varied, ))
    with torch.no_grad():
        head.query_token.copy_(torch.randn_like(head.query_token))
    assert not torch.allclose(before, head.attend((varied, )))


def test_no_mlp_bn_without_affine_and_only_expected_parameters():
    head = _head()
    assert isinstance(head.bn, nn.BatchNorm1d)
    assert not head.bn.affine
    assert head.bn.weight is None and head.bn.bias is None
    linears = [name for name, m in head.named_modules()
               if isinstance(m, nn.Linear)]
    assert sorted(linears) == sorted([
        'cross_attn.q', 'cross_attn.k', 'cross_attn.v', 'cross_attn.proj',
        'fc'
    ])
    assert sum(isinstance(m, CrossAttention) for m in head.modules()) == 1
    names = {name for name, _ in head.named_parameters()}
    assert names == {
        'query_token', 'norm_q.weight', 'norm_q.bias', 'norm_k.weight',
        'norm_k.bias', 'norm_v.weight', 'norm_v.bias', 'cross_attn.q_bias',
        'cross_attn.v_bias', 'cross_attn.q.weight', 'cross_attn.k.weight',
        'cross_attn.v.weight', 'cross_attn.proj.weight',
        'cross_attn.proj.bias', 'fc.weight', 'fc.bias'
    }
    # the cross-attention has no key bias (BEiT / CAE layout)
    assert head.cross_attn.k.bias is None


def test_use_cls_token_false_attends_to_patches_only():
    with_cls = _head()
    patches_only = _head(use_cls_token=False)
    tokens = torch.randn(2, 10, 32)
    assert with_cls.attention_map((tokens, )).shape == (2, 10)
    weights = patches_only.attention_map((tokens, ))
    assert weights.shape == (2, 9)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2))
    torch.testing.assert_close(
        patches_only.attend((tokens, )),
        _reference_attend(patches_only, tokens[:, 1:]))


def test_loss_and_predict_through_mmpretrain_cls_head():
    from mmpretrain.structures import DataSample
    head = _head()
    tokens = torch.randn(4, 5, 32)
    samples = [DataSample().set_gt_label(i % 5) for i in range(4)]
    losses = head.loss((tokens, ), samples)
    assert torch.isfinite(losses['loss']) and losses['loss'] > 0
    losses['loss'].backward()
    assert head.query_token.grad is not None
    assert head.query_token.grad.abs().sum() > 0
    head.eval()
    predicted = head.predict((tokens, ))
    assert len(predicted) == 4 and predicted[0].pred_score.shape == (5, )


def test_bad_inputs_are_clear_errors():
    head = _head()
    with pytest.raises(ValueError, match="out_type='raw'"):
        head((torch.randn(2, 32), ))
    with pytest.raises(ValueError, match='not divisible'):
        AttentiveProbeHead(num_classes=3, in_channels=30, num_heads=4)
    with pytest.raises(ValueError, match='num_classes'):
        AttentiveProbeHead(num_classes=0, in_channels=32, num_heads=4)
