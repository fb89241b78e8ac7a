"""Small shared helpers. Compatibility fixes for the stack live in one
module each (:mod:`mmcae.checkpoint.reader` for torch.load)."""
from .errors import UserError

__all__ = ['UserError']
