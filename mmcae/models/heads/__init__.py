"""Heads."""
from .attentive_probe_head import AttentiveProbeHead

__all__ = ['AttentiveProbeHead']
