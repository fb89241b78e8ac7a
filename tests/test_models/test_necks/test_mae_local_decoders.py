"""MAEGaussianDecoder / MAEConvDecoder (Uni-SSL, Sec. 2.2, Table 1): the
Gaussian weights and their border renormalization, the 5 x 5 locality of
both decoders, shapes, and training inside mmpretrain's MAE."""
import math

import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.models import MAEPretrainDecoder, MAEPretrainHead
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

from mmcae.models.necks import MAEConvDecoder, MAEGaussianDecoder
from mmcae.models.necks.mae_local_decoders import gaussian_kernel_2d
from mmcae.registry import MODELS

DECODERS = [MAEGaussianDecoder, MAEConvDecoder]
GRID = 8  # an 8 x 8 patch grid: room outside every 5 x 5 window
EMBED, DECODER_EMBED, PATCH = 12, 8, 4


def _decoder(cls, **kwargs):
    torch.manual_seed(0)
    kwargs = {
        **dict(num_patches=GRID * GRID, patch_size=PATCH, in_chans=3,
               embed_dim=EMBED, decoder_embed_dim=DECODER_EMBED),
        **kwargs
    }
    decoder = cls(**kwargs)
    decoder.init_weights()
    return decoder.double().eval()


def _shuffle(batch, num_patches, num_visible, seed=0):
    """Encoder-like inputs: ``ids_shuffle`` (visible first) and its
    inverse ``ids_restore``, and (B, 1 + num_visible, EMBED) tokens."""
    generator = torch.Generator().manual_seed(seed)
    ids_shuffle = torch.stack([
        torch.randperm(num_patches, generator=generator)
        for _ in range(batch)
    ])
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    tokens = torch.randn(batch, 1 + num_visible, EMBED, generator=generator,
                         dtype=torch.float64)
    return tokens, ids_shuffle, ids_restore


# ---------------------------------------------------------------- kernel


def test_gaussian_kernel_values():
    kernel = gaussian_kernel_2d(5, 1.0).double()
    assert kernel.shape == (5, 5)
    assert math.isclose(kernel.sum().item(), 1.0, rel_tol=1e-6)
    centre = kernel[2, 2]
    # sigma 1: one step costs exp(-1/2), a diagonal step exp(-1)
    assert math.isclose((kernel[2, 3] / centre).item(), math.exp(-0.5),
                        rel_tol=1e-6)
    assert math.isclose((kernel[1, 1] / centre).item(), math.exp(-1.0),
                        rel_tol=1e-6)
    assert math.isclose((kernel[0, 0] / centre).item(), math.exp(-4.0),
                        rel_tol=1e-5)
    # the closed form: 1 / (sum_{d=-2..2} exp(-d^2/2))^2 at the centre
    row = sum(math.exp(-d * d / 2) for d in range(-2, 3))
    assert math.isclose(centre.item(), 1 / row**2, rel_tol=1e-6)
    assert torch.equal(kernel, kernel.flip(0)) and torch.equal(
        kernel, kernel.t())
    # sigma 2 is flatter
    assert gaussian_kernel_2d(5, 2.0)[2, 2] < kernel[2, 2]


@pytest.mark.parametrize('kwargs, match', [
    (dict(kernel_size=4), 'kernel_size.*4'),
    (dict(kernel_size=0), 'kernel_size.*0'),
    (dict(sigma=0.), 'sigma.*0.0'),
    (dict(sigma=-1.), 'sigma.*-1.0'),
])
def test_gaussian_kernel_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gaussian_kernel_2d(**kwargs)


def test_gaussian_border_renormalization():
    decoder = _decoder(MAEGaussianDecoder)
    kernel = decoder.kernel.double()
    mass = decoder.border_weights(GRID, GRID, torch.float64)[0, 0]
    # interior: the whole kernel; corner: the 3 x 3 quadrant; edge middle:
    # 3 rows x 5 columns
    assert math.isclose(mass[4, 4].item(), 1.0, rel_tol=1e-6)
    assert math.isclose(mass[0, 0].item(), kernel[2:, 2:].sum().item(),
                        rel_tol=1e-6)
    assert math.isclose(mass[0, 4].item(), kernel[2:, :].sum().item(),
                        rel_tol=1e-6)
    assert mass[0, 0] < mass[0, 4] < mass[1, 4] < mass[2, 4]
    # a constant map stays constant (zero padding would darken the border)
    constant = torch.full((2, DECODER_EMBED, GRID, GRID), 3.0,
                          dtype=torch.float64)
    assert torch.allclose(decoder.local_op(constant), constant)
    # corner output = in-image taps weighted by the renormalized kernel
    x = torch.randn(1, DECODER_EMBED, GRID, GRID, dtype=torch.float64)
    weights = kernel[2:, 2:] / kernel[2:, 2:].sum()
    expected = (x[0, :, :3, :3] * weights).sum(dim=(1, 2))
    assert torch.allclose(decoder.local_op(x)[0, :, 0, 0], expected)
    # interior output = the plain 5 x 5 Gaussian average
    expected = (x[0, :, 2:7, 3:8] * kernel).sum(dim=(1, 2))
    assert torch.allclose(decoder.local_op(x)[0, :, 4, 5], expected)


def test_gaussian_kernel_is_fixed():
    decoder = _decoder(MAEGaussianDecoder)
    names = {name for name, _ in decoder.named_parameters()}
    assert not any('kernel' in name for name in names)
    assert 'kernel' not in decoder.state_dict()
    trainable = {
        name
        for name, p in decoder.named_parameters() if p.requires_grad
    }
    assert trainable == {
        'decoder_embed.weight', 'decoder_embed.bias', 'mask_token',
        'ln1.weight', 'ln1.bias', 'decoder_pred.weight', 'decoder_pred.bias'
    }


# -------------------------------------------------------------- locality


@pytest.mark.parametrize('cls', DECODERS)
def test_output_depends_on_the_5x5_window_only(cls):
    decoder = _decoder(cls)
    num_patches = GRID * GRID
    tokens, ids_shuffle, ids_restore = _shuffle(1, num_patches, 16)
    base = decoder(tokens, ids_restore)
    for k in (0, 5, 11):  # three visible tokens, anywhere on the grid
        position = ids_shuffle[0, k].item()
        row, col = divmod(position, GRID)
        moved = tokens.clone()
        moved[0, 1 + k] += 1.0
        change = (decoder(moved, ids_restore) - base).abs().amax(-1)[0]
        for q in range(num_patches):
            q_row, q_col = divmod(q, GRID)
            inside = max(abs(q_row - row), abs(q_col - col)) <= 2
            if inside:
                assert change[q] > 1e-6, (position, q)
            else:
                assert change[q] < 1e-12, (position, q, change[q].item())
    # the [CLS] token reaches no patch
    moved = tokens.clone()
    moved[0, 0] += 1.0
    assert torch.equal(decoder(moved, ids_restore), base)


@pytest.mark.parametrize('cls', DECODERS)
def test_mask_token_fills_the_masked_positions(cls):
    """A masked patch with no visible token in its window depends on the
    mask token (and its position) only: its prediction is the same for
    any visible tokens elsewhere."""
    decoder = _decoder(cls)
    num_patches = GRID * GRID
    # visible: the left 3 columns only; the right 3 columns are > 2 away
    visible = [r * GRID + c for r in range(GRID) for c in range(3)]
    masked = [p for p in range(num_patches) if p not in visible]
    ids_shuffle = torch.tensor([visible + masked])
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    first = torch.randn(1, 1 + len(visible), EMBED, dtype=torch.float64)
    second = torch.randn(1, 1 + len(visible), EMBED, dtype=torch.float64)
    out_first = decoder(first, ids_restore)
    out_second = decoder(second, ids_restore)
    far = [r * GRID + c for r in range(GRID) for c in range(5, GRID)]
    assert torch.allclose(out_first[0, far], out_second[0, far], atol=1e-12)
    near = [r * GRID + c for r in range(GRID) for c in range(5)]
    assert not torch.allclose(out_first[0, near], out_second[0, near])


# ---------------------------------------------------------------- shapes


@pytest.mark.parametrize('cls', DECODERS)
@pytest.mark.parametrize('num_visible', [0, 16, 64])
def test_shapes(cls, num_visible):
    decoder = _decoder(cls)
    tokens, _, ids_restore = _shuffle(3, GRID * GRID, num_visible)
    out = decoder(tokens, ids_restore)
    assert out.shape == (3, GRID * GRID, PATCH * PATCH * 3)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize('cls', DECODERS)
def test_same_interface_as_mae_pretrain_decoder(cls):
    """Same constructor arguments, parameter names and output as
    mmpretrain's decoder (the transformer blocks aside)."""
    common = dict(num_patches=16, patch_size=PATCH, in_chans=3,
                  embed_dim=EMBED, decoder_embed_dim=DECODER_EMBED)
    ours = cls(**common)
    theirs = MAEPretrainDecoder(decoder_depth=1, decoder_num_heads=2,
                                **common)
    theirs.init_weights()
    ours.init_weights()
    theirs_names = {
        name
        for name, _ in theirs.named_parameters()
        if not name.startswith('decoder_blocks')
    }
    assert theirs_names <= {name for name, _ in ours.named_parameters()}
    # the same fixed positions
    assert torch.allclose(ours.decoder_pos_embed, theirs.decoder_pos_embed)
    assert not ours.decoder_pos_embed.requires_grad
    tokens = torch.randn(2, 5, EMBED)
    ids_restore = torch.argsort(torch.rand(2, 16), dim=1)
    expected = theirs(tokens, ids_restore).shape
    assert ours(tokens, ids_restore).shape == expected


def test_conv_decoder_layer():
    decoder = _decoder(MAEConvDecoder, decoder_embed_dim=16)
    conv = decoder.decoder_conv
    assert (conv.in_channels, conv.out_channels) == (16, 16)
    assert conv.kernel_size == (5, 5) and conv.padding == (2, 2)
    assert conv.weight.requires_grad
    assert decoder.decoder_pred.in_features == 16
    assert decoder.decoder_pred.out_features == PATCH * PATCH * 3


@pytest.mark.parametrize('cls, kwargs, match', [
    (MAEGaussianDecoder, dict(num_patches=50), 'num_patches.*50'),
    (MAEConvDecoder, dict(num_patches=0), 'num_patches.*0'),
    (MAEConvDecoder, dict(kernel_size=6), 'kernel_size.*6'),
    (MAEGaussianDecoder, dict(kernel_size=2), 'kernel_size.*2'),
    (MAEGaussianDecoder, dict(sigma=0), 'sigma.*0'),
    (MAEConvDecoder, dict(decoder_embed_dim=-8), 'decoder_embed_dim.*-8'),
])
def test_bad_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**{**dict(num_patches=16, embed_dim=EMBED), **kwargs})


def test_bad_inputs():
    decoder = _decoder(MAEGaussianDecoder)
    tokens, _, ids_restore = _shuffle(2, GRID * GRID, 16)
    with pytest.raises(ValueError, match=r'ids_restore.*\(2, 16\)'):
        decoder(tokens, ids_restore[:, :16])
    with pytest.raises(ValueError, match=r'embed_dim=12.*\(2, 17, 7\)'):
        decoder(tokens[..., :7], ids_restore)


# ---------------------------------------------------------- inside MAE


def test_registered():
    assert MODELS.get('MAEGaussianDecoder') is MAEGaussianDecoder
    assert MODELS.get('MAEConvDecoder') is MAEConvDecoder
    # from mmpretrain's scope, with the prefix
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        assert MMPRETRAIN_MODELS.get(
            'mmcae.MAEGaussianDecoder') is MAEGaussianDecoder


def _tiny_mae(neck_type: str):
    """mmpretrain's MAE, tiny MAEViT (32-d, 2 blocks, 32 px, patch 8: a
    4 x 4 grid) with one of our decoders."""
    cfg = dict(
        type='MAE',
        backbone=dict(
            type='MAEViT',
            arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                      feedforward_channels=64),
            img_size=32,
            patch_size=8,
            mask_ratio=0.75),
        neck=dict(type=neck_type, num_patches=16, patch_size=8, in_chans=3,
                  embed_dim=32, decoder_embed_dim=16),
        head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=8,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2')),
        init_cfg=[
            dict(type='Xavier', layer='Linear', distribution='uniform'),
            dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
        ])
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MMPRETRAIN_MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.mark.parametrize('neck_type',
                         ['mmcae.MAEGaussianDecoder', 'mmcae.MAEConvDecoder'])
def test_training_in_mae_lowers_the_loss(neck_type):
    model = _tiny_mae(neck_type)
    assert type(model.neck).__name__ == neck_type.split('.')[1]
    # MAE's init ran on our Linear layers (Xavier) and our hook after it
    assert torch.allclose(model.neck.decoder_embed.bias,
                          torch.zeros(16))
    assert model.neck.mask_token.abs().sum() > 0
    images = torch.randn(4, 3, 32, 32,
                         generator=torch.Generator().manual_seed(1))
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=5e-3)

    def loss_at_fixed_mask():
        torch.manual_seed(2)  # the same random mask every call
        return model.loss(images, [])['loss']

    with torch.no_grad():
        before = loss_at_fixed_mask().item()
    for _ in range(15):
        optimizer.zero_grad()
        loss = loss_at_fixed_mask()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        after = loss_at_fixed_mask().item()
    assert math.isfinite(before) and math.isfinite(after)
    assert after < 0.9 * before, (before, after)


@pytest.mark.parametrize('neck_type',
                         ['mmcae.MAEGaussianDecoder', 'mmcae.MAEConvDecoder'])
def test_mae_pretrain_head_loss_is_finite(neck_type):
    model = _tiny_mae(neck_type)
    images = torch.randn(2, 3, 32, 32)
    latent, mask, ids_restore = model.backbone(images)
    assert latent.shape == (2, 1 + 4, 32) and mask.shape == (2, 16)
    pred = model.neck(latent, ids_restore)
    assert pred.shape == (2, 16, 8 * 8 * 3)
    head = MAEPretrainHead(
        loss=dict(type='PixelReconstructionLoss', criterion='L2'),
        norm_pix=True, patch_size=8)
    loss = head.loss(pred, images, mask)
    assert loss.dim() == 0 and torch.isfinite(loss) and loss > 0
    loss.backward()
    assert model.neck.decoder_embed.weight.grad.abs().sum() > 0
    assert model.neck.mask_token.grad.abs().sum() > 0
