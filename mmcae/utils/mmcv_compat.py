"""``mmcv.adjust_hue`` with a negative hue factor on NumPy >= 2.

mmcv 2.1.0 shifts the hue channel with ``h += np.uint8(hue_factor * 255)``
and relies on the old C cast of a negative float to wrap around (-15 ->
241). NumPy 2 refuses the cast (``OverflowError: Python integer -15 out
of bounds for uint8``), so every colour jitter with a hue range (DINO, BYOL,
SimCLR and Uni-SSL recipes: hue 0.1, i.e. factors in [-0.1, 0.1]) fails
half of the time. This module, activated by ``import mmcae`` in this one
place, replaces ``mmcv.adjust_hue`` (the name mmpretrain's ``ColorJitter``
calls) and its aliases by :func:`adjust_hue`, which computes the same
shift modulo 256 for a negative factor (the result mmcv gave with NumPy 1)
and calls mmcv's own function otherwise.
"""
import cv2
import mmcv
import mmcv.image
import mmcv.image.photometric as photometric
import numpy as np
from PIL import Image


def imread_backend() -> str:
    """mmcv's current default image backend (``mmcv.use_backend``)."""
    return photometric.imread_backend


_MMCV_ADJUST_HUE = photometric.adjust_hue


def _shift_hue(img: np.ndarray, shift: int, backend: str) -> np.ndarray:
    """Add ``shift`` (0-255) to the hue channel modulo 256, by the same
    colour conversions as mmcv's ``adjust_hue``."""
    if backend == 'pillow':
        if img.dtype != np.uint8:
            raise TypeError('Pillow backend only support uint8 type')
        pil_image = Image.fromarray(img[..., ::-1], mode='RGB')
        hue, saturation, value = pil_image.convert('HSV').split()
        hue = np.array(hue, dtype=np.uint8) + np.uint8(shift)
        pil_image = Image.merge(
            'HSV', (Image.fromarray(hue, 'L'), saturation, value)).convert(
                pil_image.mode)
        return np.array(pil_image, dtype=img.dtype)[..., ::-1]
    hsv = cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL)
    hue, saturation, value = cv2.split(hsv)
    hue = hue.astype(np.uint8) + np.uint8(shift)
    return cv2.cvtColor(cv2.merge([hue, saturation, value]),
                        cv2.COLOR_HSV2BGR_FULL).astype(img.dtype)


def adjust_hue(img: np.ndarray, hue_factor: float, backend=None
               ) -> np.ndarray:
    """mmcv's ``adjust_hue`` (same arguments and result), safe for a
    negative ``hue_factor`` on NumPy 2: the hue byte is shifted by
    ``int(hue_factor * 255)`` modulo 256 (the wrap-around mmcv relied on);
    a factor >= 0 goes to mmcv's function unchanged."""
    if hue_factor >= 0:
        return _MMCV_ADJUST_HUE(img, hue_factor, backend=backend)
    if backend is None:
        backend = imread_backend()
    if backend not in ('cv2', 'pillow'):
        raise ValueError(f'backend: {backend} is not supported. Supported '
                         "backends are 'cv2', 'pillow'")
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and img.ndim in (2, 3)):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    return _shift_hue(img, int(hue_factor * 255) % 256, backend)


photometric.adjust_hue = adjust_hue
mmcv.image.adjust_hue = adjust_hue
mmcv.adjust_hue = adjust_hue
