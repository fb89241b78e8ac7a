"""Helpers of the self-supervised algorithms that are not modules."""
from .patch_divider import DIVIDE_STRATEGIES, ContextualPatchDivider

__all__ = ['DIVIDE_STRATEGIES', 'ContextualPatchDivider']
