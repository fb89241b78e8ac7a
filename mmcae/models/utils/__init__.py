"""Helpers of the self-supervised algorithms that are not modules."""
from .local_patches import local_patch_geometry, local_patch_targets
from .overlap_sampling import overlap_sampling_grids
from .patch_divider import DIVIDE_STRATEGIES, ContextualPatchDivider

__all__ = [
    'DIVIDE_STRATEGIES', 'ContextualPatchDivider', 'local_patch_geometry',
    'local_patch_targets', 'overlap_sampling_grids'
]
