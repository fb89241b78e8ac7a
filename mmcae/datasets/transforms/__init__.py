"""Data transforms, registered in :data:`mmcae.registry.TRANSFORMS` (configs
name them ``type='mmcae.<ClassName>'``)."""
from .block_mask import CAEBlockMaskGenerator

__all__ = ['CAEBlockMaskGenerator']
