"""Models: the ViT backbone, necks, heads, losses and self-supervised
algorithms. Importing this package registers them in
:data:`mmcae.registry.MODELS` (mmengine imports it lazily, see
:mod:`mmcae.registry`)."""
from .backbones import *  # noqa: F401,F403
from .tokenizers import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .selfsup import *  # noqa: F401,F403
