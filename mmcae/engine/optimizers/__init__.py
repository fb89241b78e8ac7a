"""Optimizer-wrapper constructors: layer-wise lr decay for fine-tuning,
trainable-parameters-only for probes on a frozen encoder."""
from .layer_decay_constructor import LayerDecayOptimWrapperConstructor
from .probe_constructor import ProbeOptimWrapperConstructor

__all__ = [
    'LayerDecayOptimWrapperConstructor', 'ProbeOptimWrapperConstructor'
]
