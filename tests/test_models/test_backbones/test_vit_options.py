"""mmcae.ViT options that follow official code: head counts of the CAE
arches, the initialization scheme of each method, the distilled DeiT token.
"""
import math

import pytest
import torch
from torch import nn

from mmcae.models import ViT
from mmcae.models.backbones.vit import ARCH_SETTINGS
from tests.helpers import assert_xavier_uniform

SMALL = dict(embed_dims=64, num_layers=2, num_heads=4, mlp_hidden_dims=256)


def _linears(model):
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


@pytest.mark.parametrize('arch, dims', [('cae-small', 384),
                                        ('cae-tiny', 192)])
def test_cae_arches_have_the_official_twelve_heads(arch, dims):
    settings = ARCH_SETTINGS[arch]
    assert settings['num_heads'] == 12
    assert settings['embed_dims'] == dims
    assert settings['mlp_hidden_dims'] == 4 * dims
    # timm / DeiT / MAE ViT-S keeps its 6 heads
    assert ARCH_SETTINGS['small']['num_heads'] == 6


def test_cae_small_builds_twelve_head_blocks():
    model = ViT(arch='cae-small', img_size=32, patch_size=16)
    assert model.num_heads == 12
    assert all(block.attn.num_heads == 12 for block in model.blocks)


def _uniform_std(bound: float) -> float:
    return bound / math.sqrt(3.)


@pytest.mark.parametrize('scheme', ['cae', 'mae'])
def test_xavier_schemes_put_every_linear_in_the_xavier_bound(scheme):
    torch.manual_seed(0)
    model = ViT(arch=SMALL, img_size=32, patch_size=8, init_scheme=scheme,
                qkv_bias='qkv')
    model.init_weights()
    for name, linear in model.named_modules():
        if isinstance(linear, nn.Linear):
            assert_xavier_uniform(linear.weight, name)
            assert torch.count_nonzero(linear.bias) == 0


def test_cae_scheme_truncates_patch_embedding_and_tokens_at_one_std():
    torch.manual_seed(0)
    model = ViT(arch=SMALL, img_size=32, patch_size=8, init_scheme='cae',
                use_mask_token=True)
    model.init_weights()
    for tensor in (model.patch_embed.proj.weight, model.cls_token,
                   model.mask_token):
        assert tensor.abs().max().item() <= 0.02 + 1e-7
        assert tensor.abs().max().item() > 0.01
    assert torch.count_nonzero(model.patch_embed.proj.bias) == 0


def test_mae_scheme_patch_embedding_is_xavier_as_a_linear_layer():
    torch.manual_seed(0)
    model = ViT(arch=SMALL, img_size=32, patch_size=8, init_scheme='mae',
                use_mask_token=True)
    model.init_weights()
    assert_xavier_uniform(model.patch_embed.proj.weight, 'patch_embed')
    # normal (not truncated) tokens, std 0.02
    tokens = torch.cat([model.cls_token.flatten(), model.mask_token.flatten()])
    assert tokens.std().item() == pytest.approx(0.02, rel=0.3)


def test_default_scheme_is_truncated_normal_linears():
    torch.manual_seed(0)
    model = ViT(arch=SMALL, img_size=32, patch_size=8)
    model.init_weights()
    weights = torch.cat([m.weight.flatten() for m in _linears(model)])
    # torch's / timm's trunc_normal_ cuts at +-2 (absolute): a normal
    assert weights.std().item() == pytest.approx(0.02, rel=0.05)


def test_unknown_init_scheme_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="init_scheme must be one of"):
        ViT(arch=SMALL, img_size=32, patch_size=8, init_scheme='xavier')


def test_pretrained_init_cfg_refuses_unknown_keys():
    model = ViT(arch=SMALL, img_size=32, patch_size=8,
                init_cfg=dict(type='Pretrained', checkpoint='x.pth',
                              norm_to_fcnorm=True))
    with pytest.raises(ValueError, match='norm_to_fcnorm'):
        model.init_weights()


def test_dist_token_is_the_second_token_with_its_own_position():
    torch.manual_seed(0)
    model = ViT(arch=SMALL, img_size=32, patch_size=8, with_dist_token=True,
                out_type='raw', pos_embed='learned')
    model.init_weights()
    assert model.num_extra_tokens == 2
    assert model.pos_embed.shape == (1, 2 + 16, 64)
    images = torch.randn(2, 3, 32, 32)
    tokens = model(images)[0]
    assert tokens.shape == (2, 18, 64)
    # with a keep mask: [CLS], [DIST] and the kept patches
    keep = torch.zeros(2, 16, dtype=torch.bool)
    keep[:, :5] = True
    assert model(images, keep_mask=keep)[0].shape == (2, 7, 64)
    # [DIST] enters the attention of every token: changing it changes [CLS]
    cls_before = tokens[:, 0]
    with torch.no_grad():
        model.dist_token.add_(1.)
    assert not torch.allclose(model(images)[0][:, 0], cls_before)
    assert model.get_layer_depth('backbone.dist_token', 'backbone.')[0] == 0


def test_dist_token_is_frozen_with_the_embeddings():
    model = ViT(arch=SMALL, img_size=32, patch_size=8, with_dist_token=True,
                frozen_stages=1)
    assert not model.dist_token.requires_grad


def test_dist_token_needs_a_cls_token_and_no_relative_bias():
    with pytest.raises(ValueError, match='with_cls_token'):
        ViT(arch=SMALL, img_size=32, patch_size=8, with_dist_token=True,
            with_cls_token=False, out_type='raw')
    with pytest.raises(ValueError, match='use_rel_pos_bias'):
        ViT(arch=SMALL, img_size=32, patch_size=8, with_dist_token=True,
            use_rel_pos_bias=True)


def test_dino_scheme_leaves_the_patch_embedding_at_torchs_conv_default():
    torch.manual_seed(0)
    model = ViT(arch=SMALL, img_size=32, patch_size=8, init_scheme='dino')
    model.init_weights()
    weight = model.patch_embed.proj.weight.detach()
    # kaiming_uniform(a=sqrt(5)): U(+-1/sqrt(fan_in))
    bound = 1. / math.sqrt(weight[0].numel())
    assert weight.abs().max() <= bound + 1e-7
    assert weight.std().item() == pytest.approx(_uniform_std(bound),
                                                rel=0.06)
    assert torch.count_nonzero(model.patch_embed.proj.bias) > 0
    weights = torch.cat([m.weight.flatten() for m in _linears(model)])
    assert weights.std().item() == pytest.approx(0.02, rel=0.05)
