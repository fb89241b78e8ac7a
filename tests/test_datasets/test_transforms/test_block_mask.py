"""Tests for mmcae.CAEBlockMaskGenerator: exact counts, block geometry, block
structure, seeding, config building and use in an mmpretrain pipeline."""
from collections import deque

import numpy as np
import pytest
import torch
from mmengine.registry import TRANSFORMS as ROOT_TRANSFORMS
from mmengine.registry import DefaultScope

from mmcae.datasets.transforms import CAEBlockMaskGenerator
from mmcae.datasets.transforms.block_mask import MaskBlock
from mmcae.registry import TRANSFORMS


def count_components(mask: np.ndarray) -> int:
    """Number of 4-connected components of True cells."""
    seen = np.zeros_like(mask, dtype=bool)
    height, width = mask.shape
    components = 0
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        components += 1
        seen[start] = True
        queue = deque([start])
        while queue:
            row, col = queue.popleft()
            for nrow, ncol in ((row - 1, col), (row + 1, col), (row, col - 1),
                               (row, col + 1)):
                if (0 <= nrow < height and 0 <= ncol < width
                        and mask[nrow, ncol] and not seen[nrow, ncol]):
                    seen[nrow, ncol] = True
                    queue.append((nrow, ncol))
    return components


def test_count_components_helper():
    mask = np.array([[1, 1, 0, 1], [0, 0, 0, 1], [1, 0, 1, 0]], dtype=bool)
    assert count_components(mask) == 4  # diagonals do not connect


@pytest.mark.parametrize('num_masking_patches', [75, 98])
def test_exact_count_every_sample(num_masking_patches):
    """The default (global NumPy RNG) path, 1000 images, every one exact."""
    np.random.seed(0)
    generator = CAEBlockMaskGenerator(
        input_size=14, num_masking_patches=num_masking_patches)
    coverage = np.zeros((14, 14))
    for _ in range(1000):
        results = generator.transform({'img': None})
        mask = results['mask']
        assert isinstance(mask, np.ndarray)
        assert mask.dtype == np.bool_ and mask.shape == (14, 14)
        assert int(mask.sum()) == num_masking_patches
        coverage += mask
    # unlike mmpretrain's BEiTMaskGenerator, the last row and column of the
    # grid can be masked too (every patch is masked in some image)
    assert coverage.min() > 0


@pytest.mark.parametrize('num_masking_patches', [75, 98])
def test_block_geometry(num_masking_patches):
    min_num_patches, min_aspect = 16, 0.3
    max_aspect = 1 / min_aspect
    generator = CAEBlockMaskGenerator(
        input_size=14,
        num_masking_patches=num_masking_patches,
        min_num_patches=min_num_patches,
        min_aspect=min_aspect,
        seed=1)
    rng = np.random.default_rng(2)
    tall = wide = 0
    for _ in range(300):
        mask, blocks = generator.generate(rng)
        assert int(mask.sum()) == num_masking_patches
        assert len(blocks) >= 1
        replay = np.zeros((14, 14), dtype=bool)
        for block in blocks:
            assert isinstance(block, MaskBlock)
            top, left, height, width = block
            budget = num_masking_patches - int(replay.sum())
            # inside the grid
            assert 0 <= top and top + height <= 14
            assert 0 <= left and left + width <= 14
            assert height >= 1 and width >= 1
            # area: at least min_num_patches unless the budget was smaller
            if budget >= min_num_patches:
                assert height * width >= min_num_patches, (block, budget)
            # aspect = height / width was drawn in [min, max] before the
            # sides were rounded to integers (each by at most 0.5)
            assert (height + 0.5) / (width - 0.5) >= min_aspect, block
            assert (height - 0.5) / (width + 0.5) <= max_aspect, block
            tall += height > width
            wide += width > height
            # each block adds new patches and never overshoots the budget
            newly_masked = (
                height * width -
                int(replay[top:top + height, left:left + width].sum()))
            assert 0 < newly_masked <= budget
            replay[top:top + height, left:left + width] = True
        # the final mask contains every block; the fill-up only adds patches
        assert np.all(mask[replay])
        assert int(replay.sum()) <= num_masking_patches
    assert tall > 50 and wide > 50  # aspect ratios on both sides of 1


def test_blocks_are_mostly_enough():
    """The random fill-up is a rare remainder, not the main mechanism."""
    generator = CAEBlockMaskGenerator(num_masking_patches=75, seed=3)
    filled = []
    for _ in range(300):
        mask, blocks = generator.generate()
        replay = np.zeros_like(mask)
        for top, left, height, width in blocks:
            replay[top:top + height, left:left + width] = True
        filled.append(75 - int(replay.sum()))
    # observed: about 0.002 patches per image at 75, 0.04 at 98
    assert np.mean(filled) < 0.5


def test_masks_are_block_structured():
    """Block masks form few connected regions; uniform random masks with the
    same count form many."""
    num_masking_patches, samples = 75, 300
    generator = CAEBlockMaskGenerator(
        num_masking_patches=num_masking_patches, seed=4)
    rng = np.random.default_rng(5)
    block_components, random_components = [], []
    for _ in range(samples):
        block_components.append(count_components(generator.generate()[0]))
        random_mask = np.zeros(196, dtype=bool)
        random_mask[rng.choice(196, num_masking_patches, replace=False)] = True
        random_components.append(count_components(random_mask.reshape(14, 14)))
    ratio = np.mean(block_components) / np.mean(random_components)
    # observed: about 2.2 vs 25.6 components (ratio ~0.08)
    assert ratio < 0.25, (np.mean(block_components),
                          np.mean(random_components))


def test_seed_determinism():

    def masks(generator, count=20):
        return [generator.transform({})['mask'] for _ in range(count)]

    first = masks(CAEBlockMaskGenerator(num_masking_patches=75, seed=0))
    again = masks(CAEBlockMaskGenerator(num_masking_patches=75, seed=0))
    other = masks(CAEBlockMaskGenerator(num_masking_patches=75, seed=1))
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert sum(not np.array_equal(a, b) for a, b in zip(first, other)) >= 15
    # consecutive masks of one stream differ
    assert not np.array_equal(first[0], first[1])

    # a Generator as seed, and a Generator passed to generate()
    from_generator = masks(
        CAEBlockMaskGenerator(
            num_masking_patches=75, seed=np.random.default_rng(0)))
    assert all(np.array_equal(a, b) for a, b in zip(first, from_generator))
    unseeded = CAEBlockMaskGenerator(num_masking_patches=75)
    mask_a, blocks_a = unseeded.generate(np.random.default_rng(9))
    mask_b, blocks_b = unseeded.generate(np.random.default_rng(9))
    assert np.array_equal(mask_a, mask_b) and blocks_a == blocks_b

    # the global RNG path follows np.random.seed
    np.random.seed(123)
    global_first = masks(unseeded, 5)
    np.random.seed(123)
    global_again = masks(unseeded, 5)
    assert all(
        np.array_equal(a, b) for a, b in zip(global_first, global_again))


def test_registered_and_built_in_mmpretrain_scope():
    assert TRANSFORMS.get('CAEBlockMaskGenerator') is CAEBlockMaskGenerator
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        transform = ROOT_TRANSFORMS.build(
            dict(
                type='mmcae.CAEBlockMaskGenerator',
                input_size=14,
                num_masking_patches=75))
    assert isinstance(transform, CAEBlockMaskGenerator)
    assert int(transform({})['mask'].sum()) == 75
    text = repr(transform)
    for expected in ('CAEBlockMaskGenerator(', 'input_size=(14, 14)',
                     'num_masking_patches=75', 'min_num_patches=16',
                     'max_num_patches=75', 'min_aspect=0.3', 'max_aspect=3.33',
                     'max_attempts_per_block=10', 'seed=None'):
        assert expected in text, text


@pytest.mark.parametrize('algorithm_keys', [['mask'], []])
def test_pipeline_with_mmpretrain_transforms(algorithm_keys):
    """Crop to a 224 px view and a 112 px tokenizer view, mask, pack."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = [
            ROOT_TRANSFORMS.build(cfg) for cfg in [
                dict(
                    type='RandomResizedCropAndInterpolationWithTwoPic',
                    size=224,
                    second_size=112,
                    interpolation='bicubic',
                    second_interpolation='lanczos',
                    scale=(0.08, 1.0)),
                dict(
                    type='mmcae.CAEBlockMaskGenerator',
                    input_size=14,
                    num_masking_patches=75),
                dict(type='PackInputs', algorithm_keys=algorithm_keys),
            ]
        ]
    image = np.random.default_rng(0).integers(
        0, 256, (256, 256, 3), dtype=np.uint8)
    results = dict(
        img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2])
    for transform in pipeline:
        results = transform(results)

    view, tokenizer_view = results['inputs']
    assert tuple(view.shape) == (3, 224, 224)
    assert tuple(tokenizer_view.shape) == (3, 112, 112)
    mask = results['data_samples'].mask
    if not algorithm_keys:
        # PackInputs turns the default key 'mask' into a tensor, which is
        # what models stack with torch.stack
        assert isinstance(mask, torch.Tensor)
    mask = torch.as_tensor(mask)
    assert mask.dtype == torch.bool and tuple(mask.shape) == (14, 14)
    assert int(mask.sum()) == 75


@pytest.mark.parametrize('input_size', [(8, 12), [8, 12]])
def test_non_square_grid(input_size):
    generator = CAEBlockMaskGenerator(
        input_size=input_size, num_masking_patches=40, seed=6)
    for _ in range(300):
        mask, blocks = generator.generate()
        assert mask.shape == (8, 12) and int(mask.sum()) == 40
        for top, left, height, width in blocks:
            assert top + height <= 8 and left + width <= 12


@pytest.mark.parametrize('num_masking_patches', [0, 1, 5, 150, 195])
def test_edge_counts_terminate_exactly(num_masking_patches):
    """Below min_num_patches and nearly full grids, up to all patches but
    one (where a generator that retries blocks without bound would loop
    forever)."""
    generator = CAEBlockMaskGenerator(
        num_masking_patches=num_masking_patches, seed=7)
    for _ in range(50):
        mask, _ = generator.generate()
        assert int(mask.sum()) == num_masking_patches


@pytest.mark.parametrize('kwargs, message', [
    (dict(num_masking_patches=197), 'num_masking_patches'),
    (dict(input_size=(8, 12), num_masking_patches=97), 'num_masking_patches'),
    (dict(num_masking_patches=-1), 'num_masking_patches'),
    (dict(min_aspect=0), 'min_aspect'),
    (dict(min_aspect=-0.3), 'min_aspect'),
    (dict(min_aspect=0.5, max_aspect=0.4), 'max_aspect'),
    (dict(min_num_patches=0), 'min_num_patches'),
    (dict(min_num_patches=16, max_num_patches=8), 'max_num_patches'),
    (dict(max_attempts_per_block=0), 'max_attempts_per_block'),
    (dict(input_size=0), 'input_size'),
    (dict(input_size=(14, 14, 14)), 'input_size'),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CAEBlockMaskGenerator(**kwargs)
