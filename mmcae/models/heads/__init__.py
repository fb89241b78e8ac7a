"""Heads."""
from .attentive_probe_head import AttentiveProbeHead
from .info_nce_head import InfoNCEHead

__all__ = ['AttentiveProbeHead', 'InfoNCEHead']
