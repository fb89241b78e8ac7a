"""MAE decoder analysis: Eq. 3 against an explicit loop over pairs, the
relative map of hand-built attention, and one fixed mask for every image
and batch of an mmpretrain MAE."""
import copy
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmcae.analysis import (FixedMasking, SimilarityAccumulator,
                            analyze_mae_decoder, attention_similarity,
                            fixed_masking, mask_token_attention,
                            record_attention, relative_attention_map)

#: Tolerance for the tiny MAE's float32 attention computed twice with
#: different batch sizes (the analysis runs batches of 2 images, the check
#: by hand all 5 at once): float32 matmul kernels split and order their sums
#: by the shape, so the two passes round differently on every machine, by
#: an amount that depends on its kernels. A float32 sum of n products is off
#: by at most about n * eps / 2 of its magnitude (eps = 2 ** -23, the
#: float32 spacing at 1); n = 64 is the longest sum of this model (the MLP
#: width), and each of the two passes rounds on its own: n * eps ~ 7.6e-6.
#: Attention weights lie in [0, 1] and Eq. 3 is a mean of cosines, so the
#: bound is absolute; a wrong query row or key moves them by 1e-2 or more.
FLOAT32_TOL = 64 * torch.finfo(torch.float32).eps

#: a 2-layer MAE on 32 px images, 8 px patches (4 x 4 grid), 2-layer decoder
TINY_MAE = dict(
    type='MAE',
    backbone=dict(
        type='MAEViT',
        arch=dict(
            embed_dims=32, num_layers=2, num_heads=2,
            feedforward_channels=64),
        img_size=32,
        patch_size=8,
        mask_ratio=0.75),
    neck=dict(
        type='MAEPretrainDecoder',
        num_patches=16,
        patch_size=8,
        in_chans=3,
        embed_dim=32,
        decoder_embed_dim=32,
        decoder_depth=2,
        decoder_num_heads=2,
        mlp_ratio=2.),
    head=dict(
        type='MAEPretrainHead',
        norm_pix=True,
        patch_size=8,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')))


@pytest.fixture(scope='module')
def tiny_mae():
    import mmpretrain.models  # noqa: F401  (registers MAE)
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(TINY_MAE))
    model.init_weights()
    with torch.no_grad():  # no trivial (zero) weights anywhere
        for param in model.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    model.eval()
    return model


def test_eq3_equals_the_loop_over_pairs():
    torch.manual_seed(0)
    # 6 images, k=3 mask tokens, h=2 heads, n=5 patches
    maps = torch.rand(6, 3, 2, 5, dtype=torch.float64).softmax(-1)
    maps[2] = maps[1] * 3.  # a scaled copy: cosine 1 with image 1
    expected, pairs = 0., 0
    for i, j in itertools.permutations(range(6), 2):
        expected += F.cosine_similarity(
            maps[i].flatten(), maps[j].flatten(), dim=0).item()
        pairs += 1
    assert pairs == 6 * 5
    assert attention_similarity(maps) == pytest.approx(
        expected / pairs, abs=1e-12)
    # streamed in uneven chunks: the same value
    accumulator = SimilarityAccumulator()
    for chunk in (maps[:1], maps[1:4], maps[4:]):
        accumulator.update(chunk)
    assert accumulator.value() == pytest.approx(expected / pairs, abs=1e-12)
    # identical maps: exactly 1; orthogonal maps: 0
    assert attention_similarity(maps[:1].repeat(4, 1, 1, 1)) == \
        pytest.approx(1.)
    assert attention_similarity(torch.eye(3)) == 0.
    with pytest.raises(ValueError, match='at least 2 images, got 1'):
        attention_similarity(maps[:1])


def test_mask_token_rows_are_the_masked_queries_over_patches():
    # attn[b, h, q, k] = 1000 b + 100 h + 10 q + k (T = 1 + 6 tokens)
    b, h, q, k = torch.meshgrid(
        *[torch.arange(n) for n in (2, 3, 7, 7)], indexing='ij')
    attn = (1000 * b + 100 * h + 10 * q + k).float()
    rows = mask_token_attention(attn, torch.tensor([4, 0]), 1)
    assert rows.shape == (2, 2, 3, 6)  # (B, k, heads, n)
    # mask token 0 is patch 4 = token 5; keys are tokens 1..6
    assert rows[1, 0, 2].tolist() == [1250. + k for k in range(1, 7)]
    assert rows[0, 1, 0].tolist() == [10. + k for k in range(1, 7)]
    with pytest.raises(ValueError, match=r'in \[0, 6\)'):
        mask_token_attention(attn, torch.tensor([6]), 1)


def test_relative_map_of_attention_to_the_token_below():
    rows, cols = 4, 5
    queries = torch.arange((rows - 1) * cols)  # every cell with a cell below
    weights = torch.zeros(2, 3, len(queries), rows * cols)  # (B, h, Q, n)
    weights[..., torch.arange(len(queries)), queries + cols] = 1.
    canvas = relative_attention_map(weights, queries, (rows, cols))
    assert canvas.shape == (2 * rows - 1, 2 * cols - 1)
    expected = torch.zeros_like(canvas)
    expected[rows - 1 + 1, cols - 1] = 1.  # offset (+1 row, 0 columns)
    assert torch.equal(canvas, expected)
    # one query at (0, 0) reading (2, 3): offset (+2, +3); at (3, 4)
    # reading (0, 0): offset (-3, -4), the canvas corner
    weights = torch.zeros(1, 1, 2, rows * cols)
    weights[0, 0, 0, 2 * cols + 3] = 1.
    weights[0, 0, 1, 0] = 1.
    canvas = relative_attention_map(weights, torch.tensor([0, 19]),
                                    (rows, cols))
    assert canvas[rows - 1 + 2, cols - 1 + 3] == 0.5
    assert canvas[0, 0] == 0.5 and canvas.sum() == 1.
    with pytest.raises(ValueError, match='2 queries, 20 keys'):
        relative_attention_map(
            torch.zeros(1, 3, 20), torch.tensor([0, 1]), (rows, cols))


def test_fixed_masking_matches_mae_random_masking(monkeypatch):
    """FixedMasking returns what MAEViT.random_masking returns for noise
    that sorts into the same permutation."""
    from mmpretrain.models import MAEViT
    masking = FixedMasking(seed=3)
    x = torch.randn(2, 16, 8)
    kept, mask, ids_restore = masking(x, 0.75)
    permutation = masking.permutation(16)
    noise = torch.empty(16)
    noise[permutation] = torch.arange(16.) / 16
    monkeypatch.setattr(torch, 'rand',
                        lambda *size, **kwargs: noise.expand(*size).clone())
    ref_kept, ref_mask, ref_restore = MAEViT.random_masking(None, x, 0.75)
    assert torch.equal(kept, ref_kept)
    assert torch.equal(mask, ref_mask)
    assert torch.equal(ids_restore, ref_restore)
    assert int(mask[0].sum()) == 12 and masking.mask.sum() == 12


def test_one_fixed_mask_for_every_image_and_batch(tiny_mae):
    backbone = tiny_mae.backbone
    assert 'random_masking' not in backbone.__dict__
    first = torch.randn(3, 3, 32, 32)
    second = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        _, free_a, _ = backbone(first)
        _, free_b, _ = backbone(first)
    assert not torch.equal(free_a, free_b)  # MAE's own masking is random
    with torch.no_grad(), fixed_masking(backbone, seed=5) as masking:
        _, mask_a, restore_a = backbone(first)
        _, mask_b, restore_b = backbone(second)
    assert masking.calls == 2
    expected = masking.mask.float()
    assert int(expected.sum()) == 16 - int(16 * 0.25)
    for mask in (mask_a, mask_b):
        assert torch.equal(mask, expected.expand_as(mask))
    assert torch.equal(restore_a[0], restore_b[1])
    assert 'random_masking' not in backbone.__dict__  # restored
    with fixed_masking(backbone, seed=5) as again:
        with torch.no_grad():
            backbone(second)
    assert torch.equal(again.mask, masking.mask)  # the seed fixes it
    with fixed_masking(backbone, seed=6) as other:
        with torch.no_grad():
            backbone(second)
    assert not torch.equal(other.mask, masking.mask)


def test_analysis_of_a_tiny_mae(tiny_mae):
    torch.manual_seed(1)
    images = torch.randn(5, 3, 32, 32)
    result = analyze_mae_decoder(tiny_mae, images, seed=0, batch_size=2)
    similarity = result['similarity']
    maps = result['relative_maps']
    masked = torch.as_tensor(result['masked_index'])
    assert result['grid'] == (4, 4) and len(masked) == 12
    assert result['layer_names'] == [
        'decoder_blocks.0.attn', 'decoder_blocks.1.attn'
    ]
    assert similarity.shape == (2, ) and maps.shape == (2, 7, 7)
    assert ((similarity > 0) & (similarity <= 1 + 1e-9)).all()
    # by hand: record the decoder, pick the mask-token rows, same numbers
    with torch.no_grad(), fixed_masking(tiny_mae.backbone, 0), \
            record_attention(tiny_mae.neck) as recorder:
        latent, _, ids_restore = tiny_mae.backbone(images)
        tiny_mae.neck(latent, ids_restore)
    for layer, weights in enumerate(recorder.maps):
        rows = mask_token_attention(weights, masked, 1)
        assert similarity[layer] == pytest.approx(
            attention_similarity(rows), abs=FLOAT32_TOL)
        expected = relative_attention_map(
            rows.transpose(1, 2), masked, (4, 4)).numpy()
        np.testing.assert_allclose(maps[layer], expected, atol=FLOAT32_TOL)
        # a map sums to the mean attention on patches (not on [CLS])
        assert maps[layer].sum() == pytest.approx(
            1 - weights[:, :, 1 + masked, 0].mean().item(), abs=FLOAT32_TOL)
    # the same image everywhere: every layer's maps are identical (up to
    # the rounding of a batch of 2 vs a batch of 1)
    same = analyze_mae_decoder(
        tiny_mae, images[:1].repeat(3, 1, 1, 1), batch_size=2)
    np.testing.assert_allclose(same['similarity'], 1., atol=FLOAT32_TOL)
    with pytest.raises(ValueError, match='N >= 2'):
        analyze_mae_decoder(tiny_mae, images[:1])
