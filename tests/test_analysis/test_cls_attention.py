"""mmcae.analysis.cls_attention: the 50 %-mass region (with its tie rule),
the centre distance, and the last-layer [CLS] map against softmax(q k^T /
sqrt(d)) computed by hand from a tiny ViT's weights."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmcae.analysis import (centre_distance, cls_attention_maps,
                            map_statistics, mass_region)
from mmcae.analysis.cls_attention import uniform_reference
from mmcae.models import ViT
from tests.helpers import TINY_VIT, perturb


@pytest.mark.parametrize('grid', [(14, 14), (4, 6), (2, 2), (1, 8)])
def test_uniform_map_keeps_exactly_half_the_patches(grid):
    # float32 input: 1/196 summed 98 times is not exactly 0.5 there
    uniform = torch.full((3, *grid), 1. / (grid[0] * grid[1]))
    region = mass_region(uniform)
    assert region.shape == (3, *grid) and region.dtype == torch.bool
    assert (region.flatten(1).sum(-1) == grid[0] * grid[1] // 2).all()
    # ties in raster order: the first half of the patches, row-major
    expected = torch.arange(grid[0] * grid[1]) < grid[0] * grid[1] // 2
    assert (region[0].flatten() == expected).all()


def test_uniform_map_with_an_odd_patch_count_keeps_the_smaller_majority():
    region = mass_region(np.ones((3, 3)))  # unnormalized, numpy
    assert region.sum() == 5  # 4 / 9 < 0.5 <= 5 / 9


@pytest.mark.parametrize('index', [0, 5, 15])
def test_one_hot_map_keeps_one_patch(index):
    one_hot = torch.zeros(16)
    one_hot[index] = 1
    region = mass_region(one_hot.view(4, 4))
    assert region.sum() == 1 and region.flatten()[index]
    assert mass_region(one_hot.view(4, 4), mass=1.).sum() == 1


def test_region_is_the_smallest_set_reaching_the_mass():
    attn = torch.tensor([[0.1, 0.4], [0.3, 0.2]])
    assert mass_region(attn).tolist() == [[False, True], [True, False]]
    # 0.4 + 0.3 = 0.7: two patches; mass 0.75 needs the 0.2 as well
    assert mass_region(attn, mass=0.75).sum() == 3
    assert mass_region(attn, mass=0.4).sum() == 1  # 0.4 reaches 0.4
    assert mass_region(attn, mass=1.).all()
    # a batch of maps, each on its own
    both = torch.stack([attn, attn.flip(-1)])
    assert (mass_region(both)[1] == mass_region(attn).flip(-1)).all()


def test_bad_maps_are_refused():
    with pytest.raises(ValueError, match=r'mass must be in \(0, 1\]'):
        mass_region(torch.ones(2, 2), mass=0)
    with pytest.raises(ValueError, match='finite and >= 0'):
        mass_region(torch.tensor([[1., -1.]]))
    with pytest.raises(ValueError, match='sums to 0'):
        centre_distance(torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r'\(\.\.\., rows, cols\)'):
        mass_region(torch.ones(4))


def test_centre_distance_values():
    # 2 x 2: every patch centre is sqrt(0.5) patches from the centre, the
    # half diagonal sqrt(2): 0.5 of it
    uniform = torch.ones(2, 2)
    assert centre_distance(uniform, relative=False).item() == \
        pytest.approx(math.sqrt(0.5))
    assert centre_distance(uniform).item() == pytest.approx(0.5)
    corner = torch.zeros(8, 8)
    corner[0, 0] = 1
    assert centre_distance(corner, False).item() == pytest.approx(
        math.hypot(3.5, 3.5))
    assert centre_distance(corner).item() == pytest.approx(3.5 / 4)


def test_centred_gaussian_is_closer_to_the_centre_than_uniform():
    rows = cols = 14
    ys, xs = torch.meshgrid(
        torch.arange(rows) + 0.5 - rows / 2,
        torch.arange(cols) + 0.5 - cols / 2,
        indexing='ij')
    gaussian = torch.exp(-(ys**2 + xs**2) / (2 * 2.**2))
    uniform = torch.ones(rows, cols)
    assert centre_distance(gaussian) < 0.5 * centre_distance(uniform)
    assert mass_region(gaussian).float().mean() < 0.2
    reference = uniform_reference((rows, cols))
    assert reference['region_fraction'] == 0.5
    assert reference['centre_distance'] == pytest.approx(
        centre_distance(uniform).item())


def test_map_statistics():
    one_hot = torch.zeros(2, 4, 4)
    one_hot[0, 0, 0] = one_hot[1, 2, 2] = 1
    stats = map_statistics(one_hot, torch.tensor([0.1, 0.3]))
    assert stats['region_fraction']['values'] == [1 / 16, 1 / 16]
    assert stats['region_fraction']['std'] == 0
    distances = [math.hypot(1.5, 1.5), math.hypot(0.5, 0.5)]
    np.testing.assert_allclose(stats['centre_distance_patches']['values'],
                               distances)
    assert stats['centre_distance']['mean'] == pytest.approx(
        np.mean(distances) / (0.5 * math.hypot(4, 4)))
    assert stats['prefix_mass']['mean'] == pytest.approx(0.2)
    assert stats['prefix_mass']['std'] == pytest.approx(0.1)


def _hand_cls_row(model: ViT, images: torch.Tensor) -> torch.Tensor:
    """softmax(q k^T / sqrt(d)) of the last block, written out: the [CLS]
    query's row (B, heads, T)."""
    x = model._embed_tokens(images, None)[0]
    for block in model.blocks[:-1]:
        x = block(x)
    attn = model.blocks[-1].attn
    h = model.blocks[-1].norm1(x)
    batch, tokens, channels = h.shape
    heads, dim = attn.num_heads, channels // attn.num_heads
    weight = attn.qkv.weight
    q = h @ weight[:channels].T + attn.q_bias
    k = h @ weight[channels:2 * channels].T  # 'qv': no key bias
    q = q.view(batch, tokens, heads, dim).transpose(1, 2)
    k = k.view(batch, tokens, heads, dim).transpose(1, 2)
    return F.softmax(q @ k.transpose(-2, -1) / math.sqrt(dim), -1)[:, :, 0]


@torch.no_grad()
def test_cls_map_is_the_hand_computed_last_layer_row():
    torch.manual_seed(0)
    model = perturb(
        ViT(arch=TINY_VIT, img_size=32, patch_size=8, qkv_bias='qv'),
        seed=3).eval()
    with torch.no_grad():  # a sharper, non-uniform attention
        for block in model.blocks:
            block.attn.qkv.weight.mul_(8)
    images = torch.randn(3, 3, 32, 32)
    maps, prefix = cls_attention_maps(model, images, batch_size=2)
    row = _hand_cls_row(model, images).double()
    # averaged over heads, then renormalized over the 16 patch keys
    mean = row.mean(1)
    expected = (mean[:, 1:] / mean[:, 1:].sum(-1, keepdim=True)).view(3, 4, 4)
    assert maps.shape == (3, 4, 4) and maps.dtype == torch.float64
    torch.testing.assert_close(maps, expected, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(prefix, mean[:, 0], atol=1e-6, rtol=1e-5)
    assert not torch.allclose(
        maps, torch.full_like(maps, 1 / 16),
        atol=1e-3)  # not trivially uniform
    # the mmcae ViT's own [CLS] rows agree (last block, patches)
    own = model.cls_attention(images)[:, -1]
    torch.testing.assert_close(
        maps.flatten(1), (own / own.sum(-1, keepdim=True)).double(),
        atol=1e-6,
        rtol=1e-5)


def test_cls_map_needs_a_cls_token():
    model = ViT(
        arch=TINY_VIT,
        img_size=32,
        patch_size=8,
        with_cls_token=False,
        out_type='raw').eval()
    with pytest.raises(ValueError, match='no \\[CLS\\] token'):
        cls_attention_maps(model, torch.randn(1, 3, 32, 32))
    with pytest.raises(ValueError, match='not a multiple of the patch'):
        cls_attention_maps(model, torch.randn(1, 3, 30, 32))


def test_random_crops_are_seeded(tmp_path):
    from PIL import Image

    from mmcae.analysis.images import random_crops
    path = tmp_path / 'a.png'
    Image.fromarray(
        np.random.default_rng(0).integers(0, 255, (60, 80, 3),
                                          np.uint8)).save(path)
    state = np.random.get_state()[1].copy()
    crops, boxes = random_crops(str(path), 32, 4, seed=1)
    assert (np.random.get_state()[1] == state).all()  # left as it was
    assert crops.shape == (4, 32, 32, 3) and crops.dtype == np.uint8
    again, same = random_crops(str(path), 32, 4, seed=1)
    assert (same == boxes).all() and (again == crops).all()
    assert not (random_crops(str(path), 32, 4, seed=2)[1] == boxes).all()
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    assert ((areas >= 0.2 * 60 * 80 * 0.9) & (areas <= 60 * 80)).all()
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= 80).all() and \
        (boxes[:, 3] <= 60).all()
