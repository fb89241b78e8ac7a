"""record_attention: the recorded weights are the ones the layers use
(mmcae Attention through its pre-hook, mmpretrain MultiheadAttention
through the wrapped SDPA), in forward order, and nothing is left behind
after the context."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmcae.analysis import record_attention
from mmcae.models import ViT
from mmcae.models.layers import Attention
from tests.helpers import TINY_VIT, TINY_VIT_MMPRETRAIN, perturb


def _mmcae_output_from(weights, module: Attention, x):
    """weights @ v through ``proj``: what the module outputs."""
    batch, num, channels = x.shape
    qkv = F.linear(x, module.qkv.weight, module._qkv_bias())
    value = qkv.reshape(batch, num, 3, module.num_heads,
                        -1).permute(2, 0, 3, 1, 4)[2]
    out = (weights @ value).transpose(1, 2).reshape(batch, num, channels)
    return module.proj(out)


@pytest.mark.parametrize('qkv_bias', ['qkv', 'qv', None])
def test_mmcae_weights_reproduce_the_output(qkv_bias):
    torch.manual_seed(0)
    module = perturb(Attention(32, 4, qkv_bias=qkv_bias)).eval()
    x = torch.randn(2, 7, 32)
    attn_bias = torch.randn(1, 4, 7, 7)
    with torch.no_grad(), record_attention(module) as recorder:
        out_positional = module(x, attn_bias)
        out_keyword = module(x, attn_bias=attn_bias)
        out_plain = module(x)
    assert recorder.names == ['', '', '']
    with_bias, keyword, plain = recorder.maps
    assert with_bias.shape == (2, 4, 7, 7)
    torch.testing.assert_close(with_bias.sum(-1), torch.ones(2, 4, 7))
    torch.testing.assert_close(keyword, with_bias)
    assert not torch.allclose(plain, with_bias)  # the bias was applied
    with torch.no_grad():
        for weights, out in [(with_bias, out_positional),
                             (keyword, out_keyword), (plain, out_plain)]:
            torch.testing.assert_close(
                _mmcae_output_from(weights, module, x), out, atol=1e-5,
                rtol=1e-5)
    assert not module._forward_pre_hooks


def test_boolean_mask_is_a_mask():
    torch.manual_seed(0)
    module = Attention(16, 2).eval()
    keep = torch.ones(5, 5, dtype=torch.bool)
    keep[:, 3:] = False
    weights = module.attention_weights(torch.randn(1, 5, 16), keep)
    assert weights[..., 3:].abs().max() == 0
    torch.testing.assert_close(weights.sum(-1), torch.ones(1, 2, 5))


def test_mmcae_vit_layers_in_forward_order():
    torch.manual_seed(0)
    model = perturb(
        ViT(arch=TINY_VIT, img_size=32, patch_size=8,
            use_rel_pos_bias=True)).eval()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = model(images)[0]
        with record_attention(model) as recorder:
            got = model(images)[0]
    torch.testing.assert_close(got, expected)  # recording changes nothing
    assert recorder.names == ['blocks.0.attn', 'blocks.1.attn']
    assert all(w.shape == (2, 2, 17, 17) for w in recorder.maps)
    # the relative position bias is in the recorded weights
    with torch.no_grad():
        block = model.blocks[1]
        x = model.blocks[0](
            model._embed_tokens(images, None)[0],
            model.blocks[0].attn.relative_position_bias(None, None))
        bias = block.attn.relative_position_bias(None, None)
        direct = block.attn.attention_weights(block.norm1(x), bias)
    torch.testing.assert_close(recorder.maps[1], direct)
    recorder.clear()
    assert len(recorder) == 0


def test_reduce_stores_what_it_returns():
    model = ViT(arch=TINY_VIT, img_size=32, patch_size=8).eval()
    with torch.no_grad(), record_attention(
            model, reduce=lambda w: w.shape) as recorder:
        model(torch.randn(3, 3, 32, 32))
    assert recorder.maps == [torch.Size([3, 2, 17, 17])] * 2


def test_mmpretrain_weights_are_softmax_qk():
    from mmpretrain.models.utils.attention import MultiheadAttention
    torch.manual_seed(0)
    module = perturb(MultiheadAttention(32, 4)).eval()
    original = module.scaled_dot_product_attention
    x = torch.randn(2, 6, 32)
    with torch.no_grad():
        expected_out = module(x)
        with record_attention(module) as recorder:
            assert module.scaled_dot_product_attention is not original
            out = module(x)
        qkv = module.qkv(x).reshape(2, 6, 3, 4, 8).permute(2, 0, 3, 1, 4)
        query, key = qkv[0], qkv[1]
        manual = ((query @ key.transpose(-2, -1)) * 8**-0.5).softmax(-1)
    torch.testing.assert_close(out, expected_out)
    assert len(recorder) == 1
    torch.testing.assert_close(recorder.maps[0], manual)
    # the wrapper is gone: the very same function is back
    assert module.scaled_dot_product_attention is original


def test_mmpretrain_custom_scale_reproduces_the_output():
    """With ``qk_scale`` mmpretrain binds a scale with functools.partial:
    the recorded weights still give the module's output."""
    from mmpretrain.models.utils.attention import MultiheadAttention
    torch.manual_seed(0)
    module = perturb(MultiheadAttention(32, 4, qk_scale=0.05)).eval()
    x = torch.randn(2, 6, 32)
    with torch.no_grad(), record_attention(module) as recorder:
        out = module(x)
        value = module.qkv(x).reshape(2, 6, 3, 4, 8).permute(2, 0, 3, 1,
                                                             4)[2]
        rebuilt = module.proj(
            (recorder.maps[0] @ value).transpose(1, 2).reshape(2, 6, 32))
    torch.testing.assert_close(rebuilt, out, atol=1e-5, rtol=1e-5)


def test_mmpretrain_vit_is_restored_after_an_error():
    from mmpretrain.models import VisionTransformer
    model = VisionTransformer(
        arch=TINY_VIT_MMPRETRAIN, img_size=32, patch_size=8)
    model.eval()  # its train() returns None
    attentions = [layer.attn for layer in model.layers]
    before = [a.__dict__.get('scaled_dot_product_attention')
              for a in attentions]
    with pytest.raises(RuntimeError, match='boom'):
        with torch.no_grad(), record_attention(model) as recorder:
            model(torch.randn(1, 3, 32, 32))
            raise RuntimeError('boom')
    assert recorder.names == ['layers.0.attn', 'layers.1.attn']
    assert [a.__dict__.get('scaled_dot_product_attention')
            for a in attentions] == before


def test_no_attention_is_an_error():
    with pytest.raises(ValueError, match='Sequential has no supported '
                       'attention module'):
        with record_attention(nn.Sequential(nn.Linear(2, 2))):
            pass
    with pytest.raises(TypeError, match='got int'):
        with record_attention(3):
            pass
