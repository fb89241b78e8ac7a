"""Frozen target generators (tokenizers) for masked image modeling."""
from .base import FrozenTokenizer, TokenizerConv2d
from .dalle import DALLEEncoder, load_openai_dalle_encoder
from .dvae import DiscreteVAETokenizer

__all__ = [
    'FrozenTokenizer', 'TokenizerConv2d', 'DALLEEncoder',
    'load_openai_dalle_encoder', 'DiscreteVAETokenizer'
]
