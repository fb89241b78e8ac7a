"""Datasets and data transforms. Importing this package registers them in
:data:`mmcae.registry.DATASETS` and :data:`mmcae.registry.TRANSFORMS`."""
from .camvid import CamVidDataset
from .transforms import CAEBlockMaskGenerator

__all__ = ['CAEBlockMaskGenerator', 'CamVidDataset']
