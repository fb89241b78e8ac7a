"""Procedurally drawn demo datasets in ImageNet, ADE20K and COCO layouts,
generated on the fly (no downloads): see :func:`make_demo_data`."""
from .categories import CATEGORIES, CLASS_NAMES, Category
from .generate import DEMO_SETS, SIZES, demo_set_complete, make_demo_data
from .scenes import DrawnObject, draw_scene

__all__ = [
    'CATEGORIES', 'CLASS_NAMES', 'Category', 'DEMO_SETS', 'SIZES',
    'demo_set_complete', 'make_demo_data',
    'DrawnObject', 'draw_scene'
]
