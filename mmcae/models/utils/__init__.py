"""Helpers of the self-supervised algorithms that are not modules."""
from .overlap_sampling import overlap_sampling_grids
from .patch_divider import DIVIDE_STRATEGIES, ContextualPatchDivider

__all__ = [
    'DIVIDE_STRATEGIES', 'ContextualPatchDivider', 'overlap_sampling_grids'
]
