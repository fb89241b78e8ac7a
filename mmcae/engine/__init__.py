"""Training machinery: the runner, hooks, optimizer-wrapper constructors,
the CPU DDP wrapper. Importing this package registers them in the matching
mmcae registries."""
from .hooks import *  # noqa: F401,F403
from .model_wrappers import CPUDistributedDataParallel  # noqa: F401
from .optimizers import *  # noqa: F401,F403
from .runner import Runner  # noqa: F401
