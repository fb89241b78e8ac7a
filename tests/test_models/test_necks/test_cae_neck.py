"""mmcae.CAENeck against the official CAE code (Atten4Vis/CAE a7fd162):
drop-path rates per block, initialization, and the IJCV self-attention
regressor option."""
import math

import pytest
import torch
from torch import nn

from mmcae.models.necks import CAENeck
from mmcae.models.necks.cae_neck import REGRESSOR_TYPES

from tests.helpers import assert_xavier_uniform

EMBED, HEADS = 64, 4


def _neck(**kwargs) -> CAENeck:
    cfg = dict(embed_dims=EMBED, num_heads=HEADS, regressor_depth=2,
               decoder_depth=2, out_channels=8 * 8 * 3,
               layer_scale_init_value=0.1)
    cfg.update(kwargs)
    return CAENeck(**cfg)


def _official_rates(rate: float, depth: int):
    """``torch.linspace(0, rate, depth)`` of modeling_cae_helper.py (lines
    320, 386), written out: block i of n gets rate * i / (n - 1); one block
    gets 0."""
    if depth == 1:
        return [0.]
    return [rate * i / (depth - 1) for i in range(depth)]


def _drop_prob(block) -> float:
    # DropPath(p) for p > 0, nn.Identity for 0 (as the official code)
    return getattr(block.drop_path, 'drop_prob', 0.)


@pytest.mark.parametrize('rate, regressor_depth, decoder_depth',
                         [(0.1, 4, 4), (0.1, 1, 1), (0.2, 5, 2),
                          (0.1, 4, 0), (0., 4, 4)])
def test_drop_path_rates_follow_the_official_spacing(rate, regressor_depth,
                                                     decoder_depth):
    """The regressor and the decoder each space the encoder's rate linearly
    over their own blocks (not over the 8 blocks together)."""
    neck = _neck(drop_path_rate=rate, regressor_depth=regressor_depth,
                 decoder_depth=decoder_depth)
    regressor = [_drop_prob(block) for block in neck.regressors]
    decoder = [_drop_prob(block) for block in neck.decoders]
    assert regressor == pytest.approx(_official_rates(rate,
                                                      regressor_depth))
    if decoder_depth:
        assert decoder == pytest.approx(_official_rates(rate, decoder_depth))
    else:
        assert decoder == []
    if rate and (regressor_depth, decoder_depth) == (4, 4):
        # the IJCV recipe's 4 + 4 blocks: 0, 1/30, 2/30, 0.1 in each part
        assert regressor[1] == pytest.approx(rate / 3)
        assert decoder[-1] == pytest.approx(rate)


def test_drop_path_is_active_in_training_only():
    neck = _neck(drop_path_rate=0.5, regressor_depth=2, decoder_depth=2)
    block = neck.decoders[-1]
    assert _drop_prob(block) == pytest.approx(0.5)
    x = torch.ones(64, 3, EMBED)
    block.drop_path.train()
    dropped = block.drop_path(x)
    # per sample: zeroed or scaled by 1 / (1 - p)
    per_sample = dropped[:, 0, 0]
    assert set(per_sample.tolist()) <= {0., 2.}
    assert 0 < int((per_sample == 0).sum()) < 64
    block.drop_path.eval()
    assert torch.equal(block.drop_path(x), x)


def test_init_is_the_official_one():
    """Every Linear (the prediction head included) Xavier-uniform with zero
    bias; LayerNorms identity; the mask token truncated normal std 0.02
    cut at +-0.02 (the official wrapper's a=-std, b=std)."""
    torch.manual_seed(0)
    neck = _neck(embed_dims=256, num_heads=8, regressor_depth=2,
                 decoder_depth=2, out_channels=768)
    with torch.no_grad():  # nothing of the constructor's init may survive
        for param in neck.parameters():
            param.fill_(5.)
    neck.init_weights()
    linears = {name: m for name, m in neck.named_modules()
               if isinstance(m, nn.Linear)}
    # q, k, v, proj, fc1, fc2 per regressor block; qkv, proj, fc1, fc2 per
    # decoder block; the head
    assert len(linears) == 2 * 6 + 2 * 4 + 1
    assert 'head' in linears
    for name, module in linears.items():
        assert_xavier_uniform(module.weight.detach(), name)
        if module.bias is not None:
            assert not module.bias.any(), name
    for name, module in neck.named_modules():
        if isinstance(module, nn.LayerNorm):
            assert torch.all(module.weight == 1), name
            assert not module.bias.any(), name
    token = neck.mask_token.detach()
    assert token.abs().max().item() <= 0.02
    # N(0, s) cut at +-s has std s * sqrt(1 - 2 phi(1) / (2 Phi(1) - 1)) =
    # 0.54 s; cut at +-2 (torch's default) it would be s
    phi, big_phi = math.exp(-0.5) / math.sqrt(2 * math.pi), 0.841345
    expected = 0.02 * math.sqrt(1 - 2 * phi / (2 * big_phi - 1))
    assert token.std().item() == pytest.approx(expected, rel=0.15)
    # layer scales are not the init's business (the official _init_weights
    # touches Linear and LayerNorm only): they keep what they hold
    torch.testing.assert_close(neck.regressors[0].gamma_1.detach(),
                               torch.full((256, ), 5.))


def test_init_cfg_replaces_the_official_init():
    neck = _neck(init_cfg=dict(type='Constant', layer='Linear', val=0.5,
                               bias=0.))
    neck.init_weights()
    assert torch.all(neck.head.weight == 0.5)


def test_regressor_type_is_validated():
    assert REGRESSOR_TYPES == ('cross_attention', 'self_attention')
    for bad in ('self-attention', 'cross', None, True):
        with pytest.raises(ValueError) as error:
            _neck(regressor_type=bad)
        message = str(error.value)
        assert 'regressor_type' in message and repr(bad) in message
        assert "'self_attention'" in message and "'cross_attention'" in message
        assert 'model.neck.regressor_type' in message


def _inputs(num_visible=5, num_masked=7, batch=2, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(batch, n, EMBED, generator=generator)
        for n in (num_visible, num_visible, num_masked))


def _pair(regressor_depth: int):
    """A cross- and a self-attention neck with the same weights."""
    torch.manual_seed(0)
    cross = _neck(regressor_depth=regressor_depth)
    cross.init_weights()
    with torch.no_grad():  # no zero bias / unit norm hides a mix-up
        for param in cross.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    attn_self = _neck(regressor_depth=regressor_depth,
                      regressor_type='self_attention')
    # the same parameters: a checkpoint of either loads into the other
    attn_self.load_state_dict(cross.state_dict(), strict=True)
    return cross.eval(), attn_self.eval()


def test_self_attention_regressor_updates_the_visible_latents():
    visible, pos_visible, pos_masked = _inputs()
    # one block: the masked queries attend to [visible, queries] either
    # way, so both variants agree ...
    cross, attn_self = _pair(regressor_depth=1)
    with torch.no_grad():
        out_cross = cross(visible, pos_visible, pos_masked)
        out_self = attn_self(visible, pos_visible, pos_masked)
    for a, b in zip(out_cross, out_self):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
    # ... from the second block on, the self-attention regressor's keys are
    # the UPDATED visible latents
    cross, attn_self = _pair(regressor_depth=2)
    with torch.no_grad():
        latent_cross = cross(visible, pos_visible, pos_masked)[1]
        prediction, latent_self = attn_self(visible, pos_visible,
                                            pos_masked)
        # the reference: blocks over all tokens with q = k = v, masked part
        tokens = torch.cat(
            [visible, attn_self.mask_token.expand(2, 7, -1)], dim=1)
        pos = torch.cat([pos_visible, pos_masked], dim=1)
        for block in attn_self.regressors:
            tokens = block(tokens, tokens, pos, pos)
        reference = attn_self.norm_regressor(tokens[:, 5:])
    assert (latent_self - latent_cross).abs().max() > 1e-3
    torch.testing.assert_close(latent_self, reference, atol=1e-6, rtol=1e-6)
    assert prediction.shape == (2, 7, 8 * 8 * 3)


def test_self_attention_regressor_trains():
    """Gradients reach the mask token, every regressor block and the
    decoder through the self-attention regressor."""
    torch.manual_seed(0)
    neck = _neck(regressor_type='self_attention')
    neck.init_weights()
    neck.train()
    visible, pos_visible, pos_masked = _inputs()
    visible.requires_grad_(True)
    prediction, latent = neck(visible, pos_visible, pos_masked)
    (prediction.square().mean() + latent.square().mean()).backward()
    assert visible.grad.abs().sum() > 0
    for name, param in neck.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name
