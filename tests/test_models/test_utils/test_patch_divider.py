"""ContextualPatchDivider: exact counts, pure importance = top-k,
importance sampling's pairwise odds match softmax(a) / softmax(u), random
is uniform, block masks come from the exact-count block generator."""
import numpy as np
import pytest
import torch

from mmcae.models.utils import DIVIDE_STRATEGIES, ContextualPatchDivider


@pytest.mark.parametrize('strategy', DIVIDE_STRATEGIES)
def test_exact_counts(strategy):
    divider = ContextualPatchDivider(14, 0.75, strategy)
    assert (divider.num_visible, divider.num_masked) == (49, 147)
    generator = torch.Generator().manual_seed(0)
    mask = divider(torch.rand(5, 196), generator=generator)
    assert mask.dtype == torch.bool and mask.shape == (5, 196)
    assert mask.sum(dim=1).tolist() == [147] * 5
    # as MAE / ccMIM's code: the visible count is int(N * (1 - ratio))
    assert ContextualPatchDivider((3, 5), 0.6, strategy).num_masked == 9


def test_pure_importance_masks_the_top_patches():
    importance = torch.rand(4, 64)
    mask = ContextualPatchDivider(8, 0.75, 'importance')(importance)
    for row, chosen in zip(importance, mask):
        threshold = row.sort(descending=True).values[47]
        assert torch.equal(chosen, row >= threshold)


def test_importance_sampling_pairwise_odds():
    """score = log_softmax(a) - log_softmax(u): patch r beats patch b iff
    u_r - u_b < a_r - a_b; for uniform u that has probability
    1 - (1 - d)^2 / 2 for a gap d in [0, 1], and 1 for d >= 1."""
    divider = ContextualPatchDivider(4, 0.25, 'importance_sampling')
    draws = 4000
    generator = torch.Generator().manual_seed(0)
    for gap in (0.2, 0.5, 1.2):
        importance = torch.zeros(draws, 16)
        importance[:, 0] = gap
        scores = divider.scores(importance, draws, generator=generator)
        wins = (scores[:, 0] > scores[:, 1]).float().mean().item()
        expected = 1. if gap >= 1 else 1 - (1 - gap)**2 / 2
        # binomial standard error <= 0.008 at 4000 draws: 4 sigma
        assert abs(wins - expected) < 0.032, (gap, wins, expected)


def test_importance_sampling_masks_important_region_with_high_probability():
    importance = torch.zeros(500, 16)
    region = [5, 6, 9, 10]
    importance[:, region] = 0.8
    divider = ContextualPatchDivider(4, 0.25, 'importance_sampling')
    mask = divider(importance, generator=torch.Generator().manual_seed(1))
    assert mask.sum(dim=1).eq(4).all()
    frequency = mask.float().mean(dim=0)
    background = [i for i in range(16) if i not in region]
    assert frequency[region].min() > 0.85, frequency
    assert frequency[background].max() < 0.08, frequency
    # the same patches with flat importance: every patch equally often
    flat = divider(torch.zeros(4000, 16),
                   generator=torch.Generator().manual_seed(2))
    assert (flat.float().mean(dim=0) - 0.25).abs().max() < 0.04


def test_random_is_uniform_and_ignores_importance():
    divider = ContextualPatchDivider(4, 0.5, 'random')
    mask = divider(batch_size=4000, generator=torch.Generator().manual_seed(0))
    assert (mask.float().mean(dim=0) - 0.5).abs().max() < 0.04
    # the same noise as MAE's random_masking: the highest noise is masked
    generator = torch.Generator().manual_seed(3)
    noise = torch.rand(2, 16, generator=torch.Generator().manual_seed(3))
    mask = divider(batch_size=2, generator=generator)
    keep = noise.argsort(dim=1)[:, :8]
    expected = torch.ones(2, 16, dtype=torch.bool)
    expected.scatter_(1, keep, False)
    assert torch.equal(mask, expected)


def test_block_strategy_is_reproducible_and_blocky():
    divider = ContextualPatchDivider(14, 0.75, 'block')
    first = divider(batch_size=3, generator=torch.Generator().manual_seed(0))
    again = divider(batch_size=3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(first, again)
    assert first.sum(dim=1).tolist() == [147] * 3
    # blocks: masked patches have far more masked 4-neighbours than a
    # random mask of the same count would have
    grid = first.reshape(3, 14, 14).numpy()
    shifted = grid[:, 1:, :] & grid[:, :-1, :]
    rnd = divider.__class__(14, 0.75, 'random')(batch_size=3).reshape(
        3, 14, 14).numpy()
    assert shifted.sum() > (rnd[:, 1:, :] & rnd[:, :-1, :]).sum()
    assert np.all(grid.sum(axis=(1, 2)) == 147)


def test_bad_arguments():
    with pytest.raises(ValueError, match='strategy'):
        ContextualPatchDivider(4, 0.75, 'salient')
    with pytest.raises(ValueError, match='mask_ratio'):
        ContextualPatchDivider(4, 1.0)
    with pytest.raises(ValueError, match='needs the importance'):
        ContextualPatchDivider(4, 0.5)(batch_size=2)
    with pytest.raises(ValueError, match=r'\(B, num_patches\)'):
        ContextualPatchDivider(4, 0.5)(torch.rand(2, 9))
