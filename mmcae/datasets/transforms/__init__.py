"""Data transforms, registered in :data:`mmcae.registry.TRANSFORMS` (configs
name them ``type='mmcae.<ClassName>'``)."""
from .block_mask import CAEBlockMaskGenerator
from .overlap_crop import OverlappingTwoViewCrop

__all__ = ['CAEBlockMaskGenerator', 'OverlappingTwoViewCrop']
