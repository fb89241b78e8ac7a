"""Models: the ViT backbone, necks, heads, tokenizers and self-supervised
algorithms. Importing this package registers them in
:data:`mmcae.registry.MODELS` (mmengine imports it lazily, see
:mod:`mmcae.registry`).

Losses follow mmpretrain: an algorithm's ``loss()`` runs the networks and
hands predictions and targets to its heads' ``loss()`` (``heads/``: CAE,
DINO / Uni-SSL's L_sim, Uni-SSL's L_pixel, ccMIM's InfoNCE; ccMIM's and
MAE's pixel reconstruction is mmpretrain's ``MAEPretrainHead``)."""
from .backbones import *  # noqa: F401,F403
from .tokenizers import *  # noqa: F401,F403
from .heads import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .selfsup import *  # noqa: F401,F403
