"""Two overlapping random crops of one image, for local contrast between
views (Uni-SSL, "Understanding MAE from a local contrastive perspective",
Sec. 3 "Data augmentations").

Uni-SSL samples K x K points in the region two views share and contrasts
the features at those points, so the views must overlap: "we required the
area of the overlapping region to be greater than 30% of the area of the
two cropped regions". mmpretrain's ``MultiView`` draws its views
independently and forgets where they came from; this transform draws the
pair jointly, redraws until they overlap enough, and keeps the boxes and
flips with the sample (``crop_boxes``, ``crop_flips``), from which
:func:`mmcae.models.utils.overlap_sampling_grids` computes where the shared
points fall in each view.
"""
from typing import List, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmengine.registry import DefaultScope

from mmcae.registry import TRANSFORMS


def box_intersection(box_a: np.ndarray, box_b: np.ndarray) -> float:
    """Area of the intersection of two (x1, y1, x2, y2) boxes (0 if
    disjoint)."""
    width = min(box_a[2], box_b[2]) - max(box_a[0], box_b[0])
    height = min(box_a[3], box_b[3]) - max(box_a[1], box_b[1])
    return float(max(width, 0.) * max(height, 0.))


def box_area(box: np.ndarray) -> float:
    return float((box[2] - box[0]) * (box[3] - box[1]))


@TRANSFORMS.register_module()
class OverlappingTwoViewCrop(BaseTransform):
    """Two random resized crops that share at least ``min_overlap`` of each
    crop's area, each flipped at random, each through its own colour
    pipeline.

    **Required Keys:** img

    **Modified Keys:** img (a list of the two views), img_shape

    **Added Keys:**

    - crop_boxes (np.ndarray): float32 (2, 4), each view's region of the
      input image, (x1, y1, x2, y2) in continuous pixel coordinates (pixel
      (i, j) covers [j, j + 1) x [i, i + 1)).
    - crop_flips (np.ndarray): bool (2, ), whether each view was mirrored
      horizontally (after cropping).
    - crop_overlap (float): intersection area / the larger crop's area.

    The crops are mmpretrain's ``RandomResizedCrop`` draws (area fraction in
    ``crop_ratio_range``, log-uniform aspect ratio). The second crop is
    redrawn up to ``max_attempts`` times until the intersection exceeds
    ``min_overlap`` of BOTH crops' areas; if no draw does, the second view
    takes the first view's box (documented fallback: the pair then differs
    only by flip and colour; the number of fallbacks is kept in
    ``fallbacks``).

    Args:
        size (int): side of each square view. Defaults to 224.
        crop_ratio_range (tuple): crop area range as a fraction of the
            image. Defaults to (0.25, 1.0) (Uni-SSL).
        aspect_ratio_range (tuple): Defaults to (3/4, 4/3).
        min_overlap (float): Defaults to 0.3 (Uni-SSL).
        max_attempts (int): draws of the second crop. Defaults to 50.
        flip_prob (float): per view. Defaults to 0.5.
        interpolation (str): resize interpolation. Defaults to 'bicubic'.
        backend (str): mmcv resize backend. Defaults to 'pillow'.
        view_pipeline (list[dict], optional): transforms applied to each
            view separately (colour jitter, grayscale, blur: registered in
            mmpretrain), e.g. Uni-SSL's
            ``[dict(type='RandomApply', transforms=[dict(type='ColorJitter',
            brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)],
            prob=0.8), dict(type='RandomGrayscale', prob=0.2,
            keep_channels=True), dict(type='GaussianBlur', magnitude_range=
            (0.1, 2.0), magnitude_std='inf', prob=1.0)]``.
    """

    def __init__(self,
                 size: int = 224,
                 crop_ratio_range: Tuple[float, float] = (0.25, 1.0),
                 aspect_ratio_range: Tuple[float, float] = (3. / 4.,
                                                            4. / 3.),
                 min_overlap: float = 0.3,
                 max_attempts: int = 50,
                 flip_prob: float = 0.5,
                 interpolation: str = 'bicubic',
                 backend: str = 'pillow',
                 view_pipeline: Optional[Sequence[dict]] = None) -> None:
        from mmpretrain.datasets.transforms import RandomResizedCrop
        if not 0. <= min_overlap < 1.:
            raise ValueError(f'min_overlap must be in [0, 1), got '
                             f'{min_overlap}')
        if max_attempts < 1:
            raise ValueError(f'max_attempts must be >= 1, got {max_attempts}')
        self.size = size
        self.min_overlap = min_overlap
        self.max_attempts = max_attempts
        self.flip_prob = flip_prob
        self.interpolation = interpolation
        self.backend = backend
        # only its crop-parameter draw is used (np.random, so mmengine's
        # per-worker seeding applies)
        self._crop = RandomResizedCrop(
            scale=size, crop_ratio_range=crop_ratio_range,
            aspect_ratio_range=aspect_ratio_range)
        self.view_pipeline_cfg = list(view_pipeline or [])
        self.view_pipeline = None
        if self.view_pipeline_cfg:
            with DefaultScope.overwrite_default_scope('mmpretrain'):
                self.view_pipeline = Compose(self.view_pipeline_cfg)
        self.fallbacks = 0

    def _draw_box(self, img: np.ndarray) -> np.ndarray:
        top, left, height, width = self._crop.rand_crop_params(img)
        return np.array([left, top, left + width, top + height],
                        dtype=np.float32)

    def draw_boxes(self, img: np.ndarray) -> Tuple[np.ndarray, bool]:
        """Two boxes meeting the overlap rule (or the fallback).

        Returns:
            tuple: (2, 4) boxes and whether the fallback was used.
        """
        first = self._draw_box(img)
        first_area = box_area(first)
        for _ in range(self.max_attempts):
            second = self._draw_box(img)
            shared = box_intersection(first, second)
            if shared > self.min_overlap * max(first_area,
                                               box_area(second)):
                return np.stack([first, second]), False
        return np.stack([first, first.copy()]), True

    def _view(self, img: np.ndarray, box: np.ndarray, flip: bool
              ) -> np.ndarray:
        x1, y1, x2, y2 = (int(v) for v in box)
        view = mmcv.imcrop(img, np.array([x1, y1, x2 - 1, y2 - 1]))
        view = mmcv.imresize(view, (self.size, self.size),
                             interpolation=self.interpolation,
                             backend=self.backend)
        if flip:
            view = np.ascontiguousarray(
                mmcv.imflip(view, direction='horizontal'))
        if self.view_pipeline is not None:
            view = self.view_pipeline(dict(img=view))['img']
        return view

    def transform(self, results: dict) -> dict:
        img = results['img']
        boxes, fallback = self.draw_boxes(img)
        self.fallbacks += int(fallback)
        flips = np.random.rand(2) < self.flip_prob
        views: List[np.ndarray] = [
            self._view(img, box, bool(flip))
            for box, flip in zip(boxes, flips)
        ]
        results['img'] = views
        results['img_shape'] = views[0].shape[:2]
        results['crop_boxes'] = boxes
        results['crop_flips'] = flips
        results['crop_overlap'] = box_intersection(*boxes) / max(
            box_area(boxes[0]), box_area(boxes[1]))
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, '
                f'crop_ratio_range={self._crop.crop_ratio_range}, '
                f'min_overlap={self.min_overlap}, '
                f'max_attempts={self.max_attempts}, '
                f'flip_prob={self.flip_prob}, '
                f'view_pipeline={self.view_pipeline_cfg})')
