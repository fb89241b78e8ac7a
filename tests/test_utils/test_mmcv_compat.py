"""mmcv.adjust_hue with a negative factor on NumPy 2 (mmcae.utils.
mmcv_compat): the hue byte shifts by int(factor * 255) modulo 256, as mmcv
did on NumPy 1, for both backends; mmpretrain's ColorJitter with a hue
range runs."""
import cv2
import mmcv
import numpy as np
import pytest
from PIL import Image

import mmcae  # noqa: F401  (installs the fix)


def _reference(img, factor, backend):
    """The hue shift written out with integer arithmetic."""
    shift = int(factor * 255) % 256
    if backend == 'cv2':
        hue, sat, val = cv2.split(cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL))
        hue = ((hue.astype(np.int32) + shift) % 256).astype(np.uint8)
        return cv2.cvtColor(cv2.merge([hue, sat, val]),
                            cv2.COLOR_HSV2BGR_FULL)
    hue, sat, val = Image.fromarray(img[..., ::-1]).convert('HSV').split()
    hue = ((np.array(hue).astype(np.int32) + shift) % 256).astype(np.uint8)
    image = Image.merge('HSV', (Image.fromarray(hue, 'L'), sat, val))
    return np.array(image.convert('RGB'))[..., ::-1]


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
@pytest.mark.parametrize('factor', [-0.5, -0.3, -0.1, -0.02, 0., 0.1, 0.4])
def test_adjust_hue_matches_the_modular_shift(backend, factor):
    img = np.random.default_rng(0).integers(0, 255, (12, 10, 3),
                                            dtype=np.uint8)
    out = mmcv.adjust_hue(img, factor, backend=backend)
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert np.array_equal(out, _reference(img, factor, backend))
    if factor < -0.05:  # a real change of colour
        assert not np.array_equal(out, img)


def test_color_jitter_with_hue_runs():
    from mmengine.registry import TRANSFORMS, DefaultScope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        jitter = TRANSFORMS.build(
            dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                 saturation=0.4, hue=0.1))
    np.random.seed(0)
    img = np.random.randint(0, 255, (8, 8, 3), dtype=np.uint8)
    for _ in range(40):  # about half the draws have a negative hue factor
        assert jitter(dict(img=img.copy()))['img'].shape == (8, 8, 3)


def test_bad_factor_is_still_an_error():
    with pytest.raises(ValueError, match='hue_factor'):
        mmcv.adjust_hue(np.zeros((2, 2, 3), np.uint8), -0.7)
