"""Necks."""
from .cae_neck import CAENeck
from .vit_pyramid_neck import ViTPyramidNeck

__all__ = ['CAENeck', 'ViTPyramidNeck']
