"""Optimizer-wrapper constructors (layer-wise lr decay for fine-tuning)."""
from .layer_decay_constructor import LayerDecayOptimWrapperConstructor

__all__ = ['LayerDecayOptimWrapperConstructor']
