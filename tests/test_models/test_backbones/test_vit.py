"""mmcae.ViT options, masked forward and layer ids."""
import pytest
import torch

from mmcae.models import ViT
from mmcae.models.layers import build_2d_sincos_pos_embed

TINY = dict(embed_dims=32, num_layers=2, num_heads=2, mlp_hidden_dims=64)


def _vit(**kwargs):
    torch.manual_seed(0)
    kwargs = dict(dict(arch=TINY, img_size=32, patch_size=8), **kwargs)
    model = ViT(**kwargs)
    model.init_weights()
    with torch.no_grad():  # non-trivial norms, biases and layer scales
        for param in model.parameters():
            if param.requires_grad:
                param.add_(torch.randn_like(param) * 0.05)
    return model.eval()


def _random_keep_mask(batch, num_patches, num_keep, seed=0):
    generator = torch.Generator().manual_seed(seed)
    order = torch.rand(batch, num_patches, generator=generator).argsort(1)
    mask = torch.zeros(batch, num_patches, dtype=torch.bool)
    mask.scatter_(1, order[:, :num_keep], True)
    return mask


@pytest.mark.parametrize('rel_pos', [False, True])
def test_keep_mask_equals_attention_restricted_to_kept_tokens(rel_pos):
    """Encoding only the kept patches equals encoding all patches while no
    token may attend to a dropped one (an additive -inf key mask): the two
    paths (gather first vs. mask attention) must agree per kept token."""
    model = _vit(qkv_bias='qv', layer_scale_init_value=0.1,
                 pos_embed='sincos', use_rel_pos_bias=rel_pos,
                 out_type='raw')
    images = torch.randn(2, 3, 32, 32)
    keep = _random_keep_mask(2, 16, 6)
    with torch.no_grad():
        kept = model(images, keep_mask=keep)[0]
        # reference: all tokens, attention restricted to [CLS] + kept
        x, _ = model.patch_embed(images)
        x = torch.cat([model.cls_token.expand(2, -1, -1), x], 1)
        x = x + model.pos_embed
        key_ok = torch.cat([torch.ones(2, 1, dtype=torch.bool), keep], 1)
        restrict = torch.zeros(2, 1, 17, 17)
        restrict.masked_fill_(~key_ok[:, None, None, :], float('-inf'))
        for block in model.blocks:
            bias = restrict
            if rel_pos:
                bias = bias + block.attn.relative_position_bias()
            x = block(x, bias)
        x = model.norm(x)
        rows = key_ok.nonzero()[:, 1].reshape(2, -1)
        expected = torch.gather(x, 1, rows[..., None].expand(-1, -1, 32))
    assert kept.shape == (2, 7, 32)
    assert torch.allclose(kept, expected, atol=1e-5)


def test_keep_mask_matches_mmpretrain_cae_masked_forward():
    from mmpretrain.models.selfsup.cae import CAEPretrainViT
    torch.manual_seed(0)
    peer = CAEPretrainViT(
        arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                  feedforward_channels=64),
        img_size=32, patch_size=8, layer_scale_init_value=0.1)
    peer.init_weights()
    peer.eval()
    from mmcae.checkpoint import convert_vit_checkpoint
    state, _ = convert_vit_checkpoint(
        {'state_dict': {f'backbone.{k}': v
                        for k, v in peer.state_dict().items()}})
    ours = ViT(arch=TINY, img_size=32, patch_size=8, qkv_bias='qv',
               layer_scale_init_value=0.1, pos_embed='sincos',
               out_type='raw')
    ours.load_state_dict(state)
    images = torch.randn(2, 3, 32, 32)
    masked = ~_random_keep_mask(2, 16, 4, seed=3)  # mmpretrain: True=masked
    with torch.no_grad():
        expected = peer(images, masked)
        actual = ours.eval()(images, keep_mask=~masked)[0]
    assert torch.allclose(actual, expected, atol=1e-5)


def test_keep_mask_errors():
    model = _vit(out_type='featmap')
    images = torch.randn(2, 3, 32, 32)
    with pytest.raises(ValueError, match='same number of patches'):
        uneven = torch.zeros(2, 16, dtype=torch.bool)
        uneven[0, :3] = True
        uneven[1, :4] = True
        model(images, keep_mask=uneven)
    with pytest.raises(ValueError, match='needs every patch'):
        model(images, keep_mask=_random_keep_mask(2, 16, 4))
    with pytest.raises(ValueError, match=r'keep_mask must be \(B, num'):
        model(images, keep_mask=torch.ones(2, 15, dtype=torch.bool))


def test_sincos_table_is_fixed_with_a_zero_cls_row():
    table = build_2d_sincos_pos_embed((2, 3), 8)
    assert table.shape == (1, 7, 8)
    assert torch.equal(table[0, 0], torch.zeros(8))
    # position (row 1, col 2): sin/cos of 1 * omega, then of 2 * omega
    omega = 1. / 10000**(torch.arange(2, dtype=torch.float64) / 2)
    expected = torch.cat([(1 * omega).sin(), (1 * omega).cos(),
                          (2 * omega).sin(), (2 * omega).cos()]).float()
    assert torch.allclose(table[0, 1 + 1 * 3 + 2], expected)
    model = _vit(pos_embed='sincos')
    assert not model.pos_embed.requires_grad
    assert 'pos_embed' in model.state_dict()


def test_output_types_and_indices():
    images = torch.randn(2, 3, 32, 48)  # non-square: 4x6 patches
    raw = _vit(out_type='raw', out_indices=(0, -1), final_norm=False)
    first, last = raw(images)
    assert first.shape == last.shape == (2, 25, 32)
    featmap = _vit(out_type='featmap', out_indices=(0, -1),
                   final_norm=False)
    featmap.load_state_dict(raw.state_dict())
    maps = featmap(images)
    assert maps[1].shape == (2, 32, 4, 6)
    # the feature map is the patch tokens, row-major
    assert torch.equal(maps[1].flatten(2).transpose(1, 2), last[:, 1:])
    cls = _vit(out_type='cls_token', final_norm=False)
    cls.load_state_dict(raw.state_dict())
    assert torch.equal(cls(images)[0], last[:, 0])
    with pytest.raises(ValueError, match='out_indices has 2'):
        ViT(arch=TINY, out_indices=(2, ))
    with pytest.raises(ValueError, match='unknown ViT arch'):
        ViT(arch='huge-ish')
    with pytest.raises(ValueError, match='not a multiple of the patch'):
        raw(torch.randn(1, 3, 30, 32))


def test_frozen_stages_and_activation_checkpointing():
    model = _vit(frozen_stages=1)
    model.train()
    assert not model.patch_embed.proj.weight.requires_grad
    assert not model.cls_token.requires_grad
    assert not any(p.requires_grad for p in model.blocks[0].parameters())
    assert all(p.requires_grad for p in model.blocks[1].parameters())
    assert model.norm.weight.requires_grad
    assert not model.blocks[0].training and model.blocks[1].training

    plain = _vit(drop_path_rate=0.)
    checkpointed = _vit(drop_path_rate=0., with_cp=True)
    checkpointed.load_state_dict(plain.state_dict())
    images = torch.randn(2, 3, 32, 32)
    plain.train()
    checkpointed.train()
    plain(images)[0].sum().backward()
    checkpointed(images)[0].sum().backward()
    for (name, a), (_, b) in zip(plain.named_parameters(),
                                 checkpointed.named_parameters()):
        if a.grad is not None:
            assert torch.allclose(a.grad, b.grad, atol=1e-6), name


def test_pretrained_224_tables_resize_to_the_model_grid_on_load():
    small = _vit(qkv_bias='qv', use_rel_pos_bias=True, pos_embed='learned')
    large = ViT(arch=TINY, img_size=64, patch_size=8, qkv_bias='qv',
                use_rel_pos_bias=True, pos_embed='learned')
    large.load_state_dict(small.state_dict())
    assert large.pos_embed.shape == (1, 65, 32)
    table = large.blocks[0].attn.relative_position_bias.table
    assert table.shape == (15 * 15 + 3, 2)
    assert torch.equal(table[-3:],
                       small.blocks[0].attn.relative_position_bias.table[-3:])
    assert torch.equal(large.pos_embed[:, 0], small.pos_embed[:, 0])
    large.eval()(torch.randn(1, 3, 64, 64))


@pytest.mark.parametrize('name, expected', [
    ('backbone.cls_token', 0),
    ('backbone.pos_embed', 0),
    ('backbone.mask_token', 0),
    ('backbone.patch_embed.proj.weight', 0),
    ('backbone.blocks.0.attn.qkv.weight', 1),
    ('backbone.blocks.1.gamma_1', 2),
    ('backbone.norm.weight', 3),
    ('backbone.fc_norm.bias', 3),
    ('head.fc.weight', 3),
    ('neck.lateral.weight', 3),
])
def test_layer_depth(name, expected):
    model = ViT(arch=TINY, img_size=32, patch_size=8)
    assert model.get_layer_depth(name, 'backbone.') == (expected, 4)


def test_rel_pos_bias_follows_any_input_grid():
    """Whole-image inference of a model built for 32 px crops: the tables
    are resampled to the input's grid at run time, exactly as loading the
    weights into a model built for that size resamples them."""
    crop_model = _vit(qkv_bias='qv', use_rel_pos_bias=True, pos_embed='sincos',
                      out_type='featmap', out_indices=(0, 1))
    for block in crop_model.blocks:  # non-trivial tables
        torch.nn.init.normal_(block.attn.relative_position_bias.table)
    wide = ViT(arch=TINY, img_size=(32, 48), patch_size=8, qkv_bias='qv',
               use_rel_pos_bias=True, pos_embed='sincos', out_type='featmap',
               out_indices=(0, 1)).eval()
    wide.load_state_dict(crop_model.state_dict())
    images = torch.randn(2, 3, 32, 48)
    with torch.no_grad():
        ours, expected = crop_model(images), wide(images)
    for out, ref in zip(ours, expected):
        assert out.shape == (2, 32, 4, 6)
        assert torch.allclose(out, ref, atol=1e-5)
    # the table is resampled from the learned one (gradients reach it)
    crop_model.train()
    crop_model(images)[-1].sum().backward()
    assert crop_model.blocks[0].attn.relative_position_bias.table.grad.abs(
    ).sum() > 0
    # the model's own grid still uses the table as it is
    bias = crop_model.blocks[0].attn.relative_position_bias
    assert torch.equal(bias(None, (4, 4)), bias())
