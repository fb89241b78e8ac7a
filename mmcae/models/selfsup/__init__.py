"""Self-supervised pretraining algorithms (mmpretrain self-supervisors)."""
from .cae import CAE
from .ccmim import CcMIM

__all__ = ['CAE', 'CcMIM']
