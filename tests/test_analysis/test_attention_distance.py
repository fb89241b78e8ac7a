"""Mean attention distance: analytic values on hand-built attention, the
prefix-token convention, the model helper and the image loading."""
import itertools
import math

import numpy as np
import pytest
import torch
from PIL import Image

from mmcae.analysis import (attention_distance, attention_distance_per_image,
                            find_images, load_image, load_images,
                            model_attention_distance, patch_size_of,
                            record_attention)
from mmcae.models import ViT
from mmcae.utils.errors import UserError
from tests.helpers import TINY_VIT, perturb

#: Relative tolerance for the tiny ViT's float32 attention computed twice
#: with different batch sizes (the helper runs batches of 2 images, the
#: check all 5 at once): float32 matmul kernels split and order their sums
#: by the shape, so the passes round differently, by an amount that depends
#: on the machine's kernels. A float32 sum of n products is off by at most
#: about n * eps / 2 of its magnitude (eps = 2 ** -23, the float32 spacing
#: at 1); n = 128 is the longest sum of this model (the MLP width), and each
#: pass rounds on its own: n * eps ~ 1.5e-5. A distance is a mean weighted
#: by the attention, so its relative error is of the order of the
#: weights'.
FLOAT32_RTOL = 128 * torch.finfo(torch.float32).eps


def mean_pairwise_distance(rows: int, cols: int, patch: float) -> float:
    """Mean distance between the centres of all ordered pairs of patches
    (a patch paired with itself included), by an explicit double loop."""
    cells = list(itertools.product(range(rows), range(cols)))
    total = 0.
    for (r1, c1), (r2, c2) in itertools.product(cells, cells):
        total += math.hypot((r1 - r2) * patch, (c1 - c2) * patch)
    return total / len(cells)**2


def _with_prefix(patch_attn: torch.Tensor, prefix: int) -> torch.Tensor:
    """Embed (B, h, N, N) patch attention into (B, h, P+N, P+N) with zero
    weight on the prefix keys (prefix queries attend uniformly)."""
    batch, heads, num = patch_attn.shape[:3]
    full = patch_attn.new_zeros(batch, heads, prefix + num, prefix + num)
    full[:, :, prefix:, prefix:] = patch_attn
    full[:, :, :prefix] = 1. / (prefix + num)
    return full


@pytest.mark.parametrize('grid,patch', [((3, 4), 16), ((5, 5), 14),
                                        ((1, 6), 8)])
def test_uniform_attention_is_the_mean_pairwise_distance(grid, patch):
    num = grid[0] * grid[1]
    uniform = torch.full((2, 3, num, num), 1. / num, dtype=torch.float64)
    expected = mean_pairwise_distance(*grid, patch)
    # a closed-form cross-check for a row of patches: E|i - j| over the
    # uniform pairs of 0..n-1 is (n^2 - 1) / (3n)
    if grid[0] == 1:
        assert expected == pytest.approx(patch * (num**2 - 1) / (3 * num))
    for prefix in (0, 1, 2):
        for renormalize in (True, False):
            got = attention_distance(
                _with_prefix(uniform, prefix),
                grid,
                patch,
                num_prefix_tokens=prefix,
                renormalize=renormalize)
            assert got.shape == (3, )
            np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)


def test_identity_attention_is_zero():
    grid = (4, 3)
    attn = torch.eye(13).expand(2, 4, 13, 13)
    assert torch.equal(
        attention_distance(attn, grid, 16), torch.zeros(4,
                                                        dtype=torch.float64))


@pytest.mark.parametrize('patch', [16, 14, 8])
def test_right_neighbour_is_exactly_one_patch(patch):
    rows, cols = 3, 5
    attn = torch.zeros(1, 2, 1 + rows * cols, 1 + rows * cols)
    attn[:, :, 0, 0] = 1.
    for r, c in itertools.product(range(rows), range(cols)):
        query = r * cols + c
        # the right neighbour; the last column takes the left one
        key = query + 1 if c < cols - 1 else query - 1
        attn[:, :, 1 + query, 1 + key] = 1.
    got = attention_distance(attn, (rows, cols), patch)
    assert got.tolist() == [float(patch)] * 2


def test_prefix_weights_renormalized_or_as_is():
    """Half the attention on [CLS], half on the right neighbour: the
    neighbour's distance when renormalized, half of it as-is."""
    rows, cols = 2, 3
    attn = torch.zeros(1, 1, 7, 7)
    attn[..., 0] = 0.5
    for r, c in itertools.product(range(rows), range(cols)):
        query = r * cols + c
        key = query + 1 if c < cols - 1 else query - 1
        attn[0, 0, 1 + query, 1 + key] = 0.5
    assert attention_distance(attn, (rows, cols), 16).item() == 16.
    assert attention_distance(
        attn, (rows, cols), 16, renormalize=False).item() == 8.
    # all attention on [CLS]: 0 either way, no division by zero
    attn = torch.zeros(1, 1, 7, 7)
    attn[..., 0] = 1.
    for renormalize in (True, False):
        assert attention_distance(
            attn, (rows, cols), 16, renormalize=renormalize).item() == 0.


def test_heads_and_images_are_kept_apart():
    grid = (2, 2)
    near = torch.eye(4)
    far = torch.eye(4).flip(0)  # each patch attends to the opposite corner
    attn = torch.stack([
        torch.stack([near, far]),  # image 0: head 0 near, head 1 far
        torch.stack([far, far]),
    ])
    per_image = attention_distance_per_image(attn, grid, 10, 0)
    diagonal = 10 * math.sqrt(2)
    np.testing.assert_allclose(per_image.numpy(),
                               [[0, diagonal], [diagonal, diagonal]])
    np.testing.assert_allclose(
        attention_distance(attn, grid, 10, 0).numpy(),
        [diagonal / 2, diagonal])


def test_bad_shapes_name_the_values():
    with pytest.raises(ValueError, match=r'1 prefix tokens \+ a 3x3 grid '
                       'make 10'):
        attention_distance(torch.ones(1, 1, 9, 9), 3, 16)
    with pytest.raises(ValueError, match=r'got shape \(9, 9\)'):
        attention_distance(torch.ones(9, 9), 3, 16, 0)
    with pytest.raises(ValueError, match='grid_size'):
        attention_distance(torch.ones(1, 1, 9, 9), (3, 0), 16)
    with pytest.raises(ValueError, match='patch_size must be positive'):
        attention_distance(torch.ones(1, 1, 10, 10), 3, 0)


def test_model_helper_matches_the_recorded_layers():
    torch.manual_seed(0)
    model = perturb(ViT(arch=TINY_VIT, img_size=32, patch_size=8)).eval()
    images = torch.randn(5, 3, 32, 32)
    assert patch_size_of(model) == 8
    got = model_attention_distance(model, images, batch_size=2)
    assert got.shape == (TINY_VIT['num_layers'], TINY_VIT['num_heads'])
    with torch.no_grad(), record_attention(model) as recorder:
        model(images)
    expected = np.stack(
        [attention_distance(w, (4, 4), 8).numpy() for w in recorder.maps])
    np.testing.assert_allclose(got, expected, rtol=FLOAT32_RTOL)
    assert ((got > 0) & (got < 8 * math.hypot(3, 3))).all()
    # other image size: other grid, prefix inferred from the token count
    bigger = model_attention_distance(model, torch.randn(2, 3, 48, 48))
    assert bigger.shape == got.shape and np.isfinite(bigger).all()
    with pytest.raises(ValueError, match='not a multiple of the patch'):
        model_attention_distance(model, torch.randn(1, 3, 30, 32))


def test_image_loading(tmp_path):
    nested = tmp_path / 'a' / 'b'
    nested.mkdir(parents=True)
    pixels = np.zeros((60, 90, 3), np.uint8)
    pixels[:, 45:] = 255  # right half white
    Image.fromarray(pixels).save(nested / 'wide.png')
    Image.fromarray(pixels[:40, :30]).save(tmp_path / 'x.JPG')
    (tmp_path / 'notes.txt').write_text('no image')
    paths = find_images(str(tmp_path))
    assert [p.split('/')[-1] for p in paths] == ['wide.png', 'x.JPG']
    assert find_images(str(tmp_path), 1) == paths[:1]
    crop = load_image(paths[0], 32)
    assert crop.shape == (32, 32, 3)
    # centre crop: the left half dark, the right half bright
    assert crop[:, :12].max() < 60 and crop[:, 20:].min() > 195
    images = load_images(paths, 32)
    assert images.shape == (2, 3, 32, 32)
    # white normalized with the ImageNet statistics (R channel)
    assert images[0, 0, 0, -1].item() == pytest.approx(
        (255 - 123.675) / 58.395, abs=0.05)
    with pytest.raises(UserError, match='image folder not found'):
        find_images(str(nested / 'nothing'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(UserError, match='no image files'):
        find_images(str(tmp_path / 'empty'))
    with pytest.raises(UserError, match='--num-images must be >= 1'):
        find_images(str(tmp_path), 0)
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'not a png')
    with pytest.raises(UserError, match='broken.png'):
        load_image(str(broken))
