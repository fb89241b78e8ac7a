"""Necks."""
from .cae_neck import CAENeck
from .dino_projection_head import DINOProjectionHead
from .mae_local_decoders import MAEConvDecoder, MAEGaussianDecoder
from .vit_pyramid_neck import ViTPyramidNeck

__all__ = [
    'CAENeck', 'DINOProjectionHead', 'MAEConvDecoder', 'MAEGaussianDecoder',
    'ViTPyramidNeck'
]
