"""ViT.cls_attention: the [CLS] attention rows equal an explicit softmax of
q_cls . K, and asking for them leaves the block outputs unchanged."""
import pytest
import torch
import torch.nn.functional as F

from mmcae.models import ViT

from tests.helpers import TINY_VIT, perturb


def _explicit_cls_rows(vit: ViT, images: torch.Tensor,
                       direction: str) -> torch.Tensor:
    """The reference: every block written out with a full attention
    matrix (softmax(q k^T / sqrt(d) + bias)); row 0 ([CLS] -> patches) or
    column 0 (patches -> [CLS]) without [CLS] itself, head mean."""
    x, _, _ = vit._embed_tokens(images, None)
    rows = []
    for block in vit.blocks:
        attn = block.attn
        normed = block.norm1(x)
        batch, tokens, channels = normed.shape
        qkv = F.linear(normed, attn.qkv.weight, attn._qkv_bias())
        qkv = qkv.reshape(batch, tokens, 3, attn.num_heads, -1).permute(
            2, 0, 3, 1, 4)
        query, key, value = qkv.unbind(0)
        logits = query @ key.transpose(-2, -1) / query.shape[-1]**0.5
        if vit.use_rel_pos_bias:
            logits = logits + attn.relative_position_bias()
        weights = logits.softmax(dim=-1)
        if direction == 'cls_to_patch':
            rows.append(weights[:, :, 0, 1:].mean(dim=1))
        else:
            rows.append(weights[:, :, 1:, 0].mean(dim=1))
        out = (weights @ value).transpose(1, 2).reshape(batch, tokens, -1)
        out = attn.proj(out)
        if block.gamma_1 is not None:
            out = block.gamma_1 * out
        x = x + out
        out = block.mlp(block.norm2(x))
        if block.gamma_2 is not None:
            out = block.gamma_2 * out
        x = x + out
    return torch.stack(rows, dim=1)


@pytest.mark.parametrize('direction', ['cls_to_patch', 'patch_to_cls'])
@pytest.mark.parametrize('qkv_bias,rel_pos,layer_scale',
                         [('qkv', False, 0.), ('qv', True, 0.1)])
def test_cls_attention_equals_explicit_softmax(qkv_bias, rel_pos,
                                               layer_scale, direction):
    torch.manual_seed(0)
    vit = ViT(arch=TINY_VIT, img_size=32, patch_size=8, qkv_bias=qkv_bias,
              use_rel_pos_bias=rel_pos, layer_scale_init_value=layer_scale,
              pos_embed='sincos', out_type='raw')
    vit.init_weights()
    perturb(vit)
    vit.eval()
    images = torch.randn(3, 3, 32, 32)
    rows = vit.cls_attention(images, direction)
    assert rows.shape == (3, 2, 16)
    assert not rows.requires_grad
    with torch.no_grad():
        expected = _explicit_cls_rows(vit, images, direction)
    torch.testing.assert_close(rows, expected, atol=1e-5, rtol=1e-4)
    assert bool((rows > 0).all()) and bool((rows < 1).all())
    if direction == 'cls_to_patch':
        # softmax weights without [CLS]'s weight on itself
        assert bool((rows.sum(-1) < 1).all())


def test_block_output_unchanged_by_cls_attention():
    torch.manual_seed(1)
    vit = ViT(arch=TINY_VIT, img_size=32, patch_size=8, out_type='raw')
    vit.init_weights()
    perturb(vit)
    vit.eval()
    tokens = torch.randn(2, 17, 32)
    block = vit.blocks[0]
    with torch.no_grad():
        plain = block(tokens)
        out, row = block.forward_with_cls_attention(tokens)
    torch.testing.assert_close(out, plain)
    assert row.shape == (2, 2, 17)  # (B, heads, keys incl. [CLS])
    torch.testing.assert_close(row.sum(-1), torch.ones(2, 2))


def test_unknown_direction():
    vit = ViT(arch=TINY_VIT, img_size=32, patch_size=8, out_type='raw')
    with pytest.raises(ValueError, match='cls_attention_direction'):
        vit.cls_attention(torch.randn(1, 3, 32, 32), 'both')


def test_cls_attention_needs_cls_token():
    vit = ViT(arch=TINY_VIT, img_size=32, patch_size=8, out_type='featmap',
              with_cls_token=False)
    with pytest.raises(ValueError, match='CLS'):
        vit.cls_attention(torch.randn(1, 3, 32, 32))
