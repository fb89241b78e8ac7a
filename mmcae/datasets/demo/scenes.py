"""Procedurally drawn scenes: textured backgrounds with several objects of
the demo categories at random scale, position and rotation, later objects
occluding earlier ones. Every drawn object keeps its VISIBLE mask, which is
what the segmentation maps and the COCO instance masks annotate.

Everything is computed with numpy from a ``numpy.random.Generator``, so a
scene is a pure function of its seed.
"""
import colorsys
import math
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np
from PIL import Image, ImageDraw

from .categories import CATEGORIES, Category


@dataclass
class DrawnObject:
    """An object of a scene.

    Attributes:
        label (int): index into :data:`CATEGORIES`.
        mask (np.ndarray): bool (H, W), the pixels where it is visible.
    """
    label: int
    mask: np.ndarray

    @property
    def area(self) -> int:
        return int(self.mask.sum())

    @property
    def bbox(self) -> Tuple[int, int, int, int]:
        """(x, y, width, height) of the visible pixels (COCO convention)."""
        rows = np.flatnonzero(self.mask.any(axis=1))
        cols = np.flatnonzero(self.mask.any(axis=0))
        return (int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1),
                int(rows[-1] - rows[0] + 1))


def _colour(rng: np.random.Generator, hue: float) -> np.ndarray:
    """An RGB colour (float 0-255) near ``hue``, random saturation/value."""
    jittered = ((hue + rng.uniform(-12, 12)) % 360) / 360
    rgb = colorsys.hsv_to_rgb(jittered, rng.uniform(0.55, 0.95),
                              rng.uniform(0.55, 0.95))
    return np.array(rgb) * 255


def _background(rng: np.random.Generator, height: int,
                width: int) -> np.ndarray:
    """Smooth low-saturation colour field plus fine noise (float HxWx3)."""
    coarse = rng.uniform(70, 190, size=(4, 4, 3)).astype(np.uint8)
    field = np.asarray(
        Image.fromarray(coarse).resize((width, height), Image.BILINEAR),
        dtype=np.float64)
    grey = field.mean(axis=2, keepdims=True)
    field = grey + 0.35 * (field - grey)  # objects are more saturated
    return field + rng.normal(0, 6, size=(height, width, 3))


def _outline(shape: str, centre: Tuple[float, float], radius: float,
             angle: float, aspect: float) -> List[Tuple[float, float]]:
    """Polygon vertices of a shape (the ring is drawn as two circles)."""
    cx, cy = centre

    def polygon(count: int, radii: Tuple[float, ...],
                offset: float = 0.) -> List[Tuple[float, float]]:
        points = []
        for i in range(count):
            r = radii[i % len(radii)]
            theta = angle + offset + 2 * math.pi * i / count
            points.append((cx + r * math.cos(theta),
                           cy + r * aspect * math.sin(theta)))
        return points

    if shape in ('circle', 'ring'):
        return polygon(48, (radius, ))
    if shape == 'ellipse':
        return [(cx + (x - cx), cy + 0.55 * (y - cy))
                for x, y in polygon(48, (radius, ))]
    if shape == 'square':
        return polygon(4, (radius, ), math.pi / 4)
    if shape == 'rectangle':
        half_w, half_h = radius, radius * 0.62
        corners = [(-half_w, -half_h), (half_w, -half_h), (half_w, half_h),
                   (-half_w, half_h)]
        cos, sin = math.cos(angle), math.sin(angle)
        return [(cx + x * cos - y * sin, cy + x * sin + y * cos)
                for x, y in corners]
    if shape == 'triangle':
        return polygon(3, (radius, ), -math.pi / 2)
    if shape == 'hexagon':
        return polygon(6, (radius, ))
    if shape == 'star':
        return polygon(10, (radius, radius * 0.45), -math.pi / 2)
    raise ValueError(f'unknown demo shape {shape!r}')


def _shape_mask(category: Category, height: int, width: int,
                centre: Tuple[float, float], radius: float, angle: float,
                aspect: float) -> np.ndarray:
    canvas = Image.new('L', (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    draw.polygon(_outline(category.shape, centre, radius, angle, aspect),
                 fill=1)
    if category.shape == 'ring':
        inner = _outline('circle', centre, radius * 0.55, angle, aspect)
        draw.polygon(inner, fill=0)
    return np.asarray(canvas, dtype=bool)


def _texture(rng: np.random.Generator, category: Category, height: int,
             width: int, centre: Tuple[float, float],
             radius: float) -> np.ndarray:
    """The category's fill pattern over the whole canvas (float HxWx3)."""
    main = _colour(rng, category.hue)
    second = main * rng.uniform(0.35, 0.6)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    period = max(3., radius / rng.uniform(1.5, 3.))
    if category.texture == 'solid':
        pattern = np.ones((height, width))
    elif category.texture == 'shaded':
        distance = np.hypot(xs - centre[0], ys - centre[1]) / max(radius, 1.)
        pattern = np.clip(1.15 - 0.6 * distance, 0.3, 1.)
    elif category.texture == 'checker':
        pattern = ((xs // period + ys // period) % 2 == 0).astype(float)
    elif category.texture == 'stripes':
        pattern = ((xs // period) % 2 == 0).astype(float)
    elif category.texture == 'bands':
        pattern = ((ys // period) % 2 == 0).astype(float)
    elif category.texture == 'diagonal':
        pattern = (((xs + ys) // period) % 2 == 0).astype(float)
    elif category.texture == 'dots':
        cell = period * 1.5
        pattern = (np.hypot(xs % cell - cell / 2, ys % cell - cell / 2) >
                   cell / 4).astype(float)
    else:
        raise ValueError(f'unknown demo texture {category.texture!r}')
    pattern = pattern[..., None]
    return pattern * main + (1 - pattern) * second


def draw_scene(rng: np.random.Generator,
               height: int,
               width: int,
               num_objects: int,
               dominant: Optional[int] = None,
               min_visible: int = 12) -> Tuple[np.ndarray, List[DrawnObject]]:
    """Draw one scene.

    Args:
        rng: the random generator (the scene is a function of its state).
        height (int): image height.
        width (int): image width.
        num_objects (int): objects to draw (random categories).
        dominant (int, optional): draw these objects small (distractors)
            and then one large object of this category in the middle, for
            single-label classification images.
        min_visible (int): objects with fewer visible pixels (after
            occlusion) are not annotated. Defaults to 12.

    Returns:
        tuple: the image (uint8 HxWx3) and the visible objects, in drawing
        order.
    """
    image = _background(rng, height, width)
    short = min(height, width)
    plans = []
    for _ in range(num_objects):
        label = int(rng.integers(len(CATEGORIES)))
        scale = (rng.uniform(0.08, 0.16) if dominant is not None else
                 rng.uniform(0.1, 0.3))
        plans.append((label, scale * short,
                      (rng.uniform(0.1, 0.9) * width,
                       rng.uniform(0.1, 0.9) * height)))
    if dominant is not None:
        plans.append((dominant, rng.uniform(0.3, 0.42) * short,
                      (rng.uniform(0.4, 0.6) * width,
                       rng.uniform(0.4, 0.6) * height)))

    objects: List[DrawnObject] = []
    for label, radius, centre in plans:
        category = CATEGORIES[label]
        angle = rng.uniform(0, 2 * math.pi)
        aspect = rng.uniform(0.8, 1.2)
        mask = _shape_mask(category, height, width, centre, radius, angle,
                           aspect)
        texture = _texture(rng, category, height, width, centre, radius)
        image[mask] = texture[mask]
        for earlier in objects:  # occlusion
            earlier.mask &= ~mask
        objects.append(DrawnObject(label, mask))
    image = np.clip(image + rng.normal(0, 3, size=image.shape), 0, 255)
    visible = [obj for obj in objects if obj.area >= min_visible]
    return image.round().astype(np.uint8), visible
