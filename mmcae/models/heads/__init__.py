"""Heads and losses."""
from .attentive_probe_head import AttentiveProbeHead
from .dino_loss import DINOLoss
from .info_nce_head import InfoNCEHead

__all__ = ['AttentiveProbeHead', 'DINOLoss', 'InfoNCEHead']
