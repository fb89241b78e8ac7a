"""Frozen target generators (tokenizers) for masked image modeling."""
from .dalle import load_openai_dalle_encoder

__all__ = ['load_openai_dalle_encoder']
