"""Frozen target generators (tokenizers) for masked image modeling."""
from .base import FrozenTokenizer, TokenizerConv2d
from .dalle import DALLEEncoder
from .dvae import DiscreteVAETokenizer

__all__ = [
    'FrozenTokenizer', 'TokenizerConv2d', 'DALLEEncoder',
    'DiscreteVAETokenizer'
]
