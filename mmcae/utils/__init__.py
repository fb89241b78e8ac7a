"""Small shared helpers. Compatibility fixes for the stack live in one
module each (:mod:`mmcae.utils.checkpoint_compat` for torch.load)."""
from .errors import UserError

__all__ = ['UserError']
