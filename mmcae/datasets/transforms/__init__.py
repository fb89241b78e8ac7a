"""Data transforms, registered in :data:`mmcae.registry.TRANSFORMS` (configs
name them ``type='mmcae.<ClassName>'``)."""
from .block_mask import CAEBlockMaskGenerator
from .overlap_crop import OverlappingTwoViewCrop
from .seg_annotations import LoadSegAnnotations

__all__ = [
    'CAEBlockMaskGenerator', 'LoadSegAnnotations', 'OverlappingTwoViewCrop'
]
