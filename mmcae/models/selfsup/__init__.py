"""Self-supervised pretraining algorithms (mmpretrain self-supervisors)."""
from .cae import CAE

__all__ = ['CAE']
