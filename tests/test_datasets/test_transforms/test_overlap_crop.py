"""OverlappingTwoViewCrop and overlap_sampling_grids: the overlap rule
holds, the boxes and flips describe the views, and the sampled points of
both views land on the same image locations (an image whose pixels hold
their own coordinates)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmcae.datasets.transforms import OverlappingTwoViewCrop
from mmcae.datasets.transforms.overlap_crop import box_area, box_intersection
from mmcae.models.utils import overlap_sampling_grids


def _coordinate_image(height=180, width=260):
    """Float image: channel 0 = x, channel 1 = y of each pixel's centre."""
    ys, xs = np.meshgrid(np.arange(height) + 0.5, np.arange(width) + 0.5,
                         indexing='ij')
    return np.stack([xs, ys, np.zeros_like(xs)], axis=-1).astype(np.float32)


def test_overlap_rule_and_fallback():
    np.random.seed(0)
    transform = OverlappingTwoViewCrop(size=32)
    image = np.zeros((120, 200, 3), np.uint8)
    for _ in range(300):
        out = transform.transform(dict(img=image))
        first, second = out['crop_boxes']
        shared = box_intersection(first, second)
        assert shared > 0.3 * box_area(first) - 1e-6
        assert shared > 0.3 * box_area(second) - 1e-6
        for box in (first, second):  # inside the image, 25-100 % of it
            assert box[0] >= 0 and box[1] >= 0
            assert box[2] <= 200 and box[3] <= 120
            assert 0.2 <= box_area(box) / (200 * 120) <= 1.0
        assert [v.shape for v in out['img']] == [(32, 32, 3)] * 2
    # the rule rejects draws (a random pair often overlaps less) but the
    # retries almost never run out
    assert transform.fallbacks <= 3
    strict = OverlappingTwoViewCrop(size=32, min_overlap=0.99,
                                    max_attempts=1)
    out = strict.transform(dict(img=image))
    if strict.fallbacks:
        assert np.array_equal(out['crop_boxes'][0], out['crop_boxes'][1])


@pytest.mark.parametrize('seed', range(6))
def test_sampled_points_agree_across_views(seed):
    np.random.seed(seed)
    transform = OverlappingTwoViewCrop(size=64, interpolation='bilinear',
                                       backend='cv2', flip_prob=0.5)
    image = _coordinate_image()
    out = transform.transform(dict(img=image))
    boxes = torch.from_numpy(out['crop_boxes'])[None]
    flips = torch.from_numpy(out['crop_flips'])[None]
    grids = overlap_sampling_grids(boxes, flips, num_points=5)
    assert grids.shape == (1, 2, 5, 5, 2)
    assert grids.abs().max() < 1
    # the points themselves, in image coordinates
    box = out['crop_boxes']
    left, top = box[:, 0].max(), box[:, 1].max()
    right, bottom = box[:, 2].min(), box[:, 3].min()
    steps = (np.arange(5) + 0.5) / 5
    expected_x = left + steps * (right - left)
    expected_y = top + steps * (bottom - top)
    for view in range(2):
        pixels = torch.from_numpy(out['img'][view][..., :2]).permute(
            2, 0, 1)[None]
        scale = (box[view, 2] - box[view, 0]) / 64  # image px per view px
        for stride in (1, 8):  # the view itself, and 8 x 8 'tokens'
            features = F.avg_pool2d(pixels, stride)
            sampled = F.grid_sample(features, grids[:, view],
                                    mode='bilinear', align_corners=False,
                                    padding_mode='border')[0]
            # bilinear interpolation of a linear map is exact inside;
            # clamping at the border costs at most half a cell
            tolerance = 0.5 * stride * scale + 1e-3
            np.testing.assert_allclose(
                sampled[0].numpy(), np.tile(expected_x, (5, 1)),
                atol=tolerance)
            np.testing.assert_allclose(
                sampled[1].numpy(), np.tile(expected_y[:, None], (1, 5)),
                atol=tolerance * (box[view, 3] - box[view, 1]) /
                (box[view, 2] - box[view, 0]) + 1e-3)


def test_flip_is_recorded_and_mirrors_the_view():
    image = _coordinate_image(100, 100)
    np.random.seed(1)
    transform = OverlappingTwoViewCrop(size=50, crop_ratio_range=(1., 1.),
                                       aspect_ratio_range=(1., 1.),
                                       flip_prob=1.0, backend='cv2',
                                       interpolation='bilinear')
    out = transform.transform(dict(img=image))
    assert out['crop_flips'].tolist() == [True, True]
    view = out['img'][0]
    # whole image, mirrored: x falls from left to right
    assert view[0, 0, 0] > 95 and view[0, -1, 0] < 5


def test_view_pipeline_colours_each_view():
    np.random.seed(0)
    pipeline = [
        dict(type='RandomApply', transforms=[
            dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                 saturation=0.4, hue=0.1)], prob=0.8),
        dict(type='RandomGrayscale', prob=0.2, keep_channels=True),
        dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
             magnitude_std='inf', prob=1.0),
    ]
    plain = OverlappingTwoViewCrop(size=32, crop_ratio_range=(1., 1.),
                                   aspect_ratio_range=(1., 1.), flip_prob=0.)
    colour = OverlappingTwoViewCrop(size=32, crop_ratio_range=(1., 1.),
                                    aspect_ratio_range=(1., 1.),
                                    flip_prob=0., view_pipeline=pipeline)
    image = np.random.randint(0, 255, (64, 64, 3), dtype=np.uint8)
    same = plain.transform(dict(img=image))['img']
    assert np.array_equal(same[0], same[1])
    coloured = colour.transform(dict(img=image))['img']
    assert coloured[0].shape == (32, 32, 3)
    assert not np.array_equal(coloured[0], same[0])
    assert not np.array_equal(coloured[0], coloured[1])


def test_disjoint_boxes_and_bad_arguments():
    boxes = torch.tensor([[[0., 0., 10., 10.], [20., 20., 30., 30.]]])
    with pytest.raises(ValueError, match='does not overlap'):
        overlap_sampling_grids(boxes, torch.zeros(1, 2, dtype=torch.bool), 3)
    with pytest.raises(ValueError, match='min_overlap'):
        OverlappingTwoViewCrop(min_overlap=1.)
