"""Optimizer-wrapper constructors and wrappers: layer-wise lr decay for
fine-tuning, trainable-parameters-only for probes on a frozen encoder, CPU
bfloat16 mixed precision."""
from .cpu_bf16_wrapper import (CPUBF16OptimWrapper, accelerator_available,
                               cpu_bf16_optim_wrapper_cfg, is_amp_wrapper_type)
from .layer_decay_constructor import LayerDecayOptimWrapperConstructor
from .probe_constructor import ProbeOptimWrapperConstructor

__all__ = [
    'CPUBF16OptimWrapper', 'LayerDecayOptimWrapperConstructor',
    'ProbeOptimWrapperConstructor', 'accelerator_available',
    'cpu_bf16_optim_wrapper_cfg', 'is_amp_wrapper_type'
]
