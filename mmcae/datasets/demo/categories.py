"""The demo datasets' object categories: shape, texture, colour, and the
class each one stands for in ImageNet-style, ADE20K and COCO annotations.

Each category differs from the others in three independent cues (outline,
texture, hue), so that a classifier can learn it from any of them and a
segmenter must delineate it; ``ade20k_index`` is the category's index among
ADE20K's 150 classes (0-based, as after ``reduce_zero_label=True``), so the
demo segmentation maps use the real ADE20K label space: PNG value =
``ade20k_index + 1``, 0 = "other" (ignored with ``reduce_zero_label``).
"""
from typing import NamedTuple, Tuple


class Category(NamedTuple):
    """One demo object category."""
    name: str  #: class name (ImageNet folder, COCO category)
    shape: str  #: outline drawn (see :mod:`mmcae.datasets.demo.scenes`)
    texture: str  #: fill pattern
    hue: float  #: base hue in degrees (jittered per object)
    ade20k_index: int  #: index among ADE20K's 150 classes (0-based)


CATEGORIES: Tuple[Category, ...] = (
    Category('ball', 'circle', 'shaded', 0., 119),
    Category('box', 'square', 'checker', 45., 41),
    Category('tent', 'triangle', 'stripes', 90., 114),
    Category('flag', 'rectangle', 'bands', 135., 149),
    Category('clock', 'ring', 'solid', 180., 148),
    Category('plate', 'ellipse', 'dots', 225., 142),
    Category('signboard', 'hexagon', 'diagonal', 270., 43),
    Category('flower', 'star', 'shaded', 315., 66),
)

#: class names in label order (ImageNet labels, COCO category ids - 1)
CLASS_NAMES: Tuple[str, ...] = tuple(c.name for c in CATEGORIES)
