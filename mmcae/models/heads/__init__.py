"""Heads: what turns features into the losses of the pretraining
algorithms (each algorithm's ``loss()`` calls its heads' ``loss()``), and
the probe heads of the evaluation protocols."""
from .attentive_probe_head import AttentiveProbeHead
from .cae_head import CAEHead
from .dino_head import DINOHead
from .info_nce_head import InfoNCEHead
from .local_pixel_head import LocalPixelHead

__all__ = [
    'AttentiveProbeHead', 'CAEHead', 'DINOHead', 'InfoNCEHead',
    'LocalPixelHead'
]
