"""Training machinery: the runner, hooks, optimizer-wrapper constructors.
Importing this package registers them in the matching mmcae registries."""
from .hooks import *  # noqa: F401,F403
from .optimizers import *  # noqa: F401,F403
from .runner import Runner  # noqa: F401
