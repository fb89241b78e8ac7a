"""Self-supervised pretraining algorithms (mmpretrain self-supervisors)."""
from .cae import CAE
from .ccmim import CcMIM
from .dino import DINO
from .unissl import UniSSL

__all__ = ['CAE', 'CcMIM', 'DINO', 'UniSSL']
