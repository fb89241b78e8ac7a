"""Training machinery: hooks, optimizer-wrapper constructors, loops.
Importing this package registers them in the matching mmcae registries."""
from .optimizers import *  # noqa: F401,F403
