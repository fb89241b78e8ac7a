"""mmcae: CAE-style self-supervised ViT pretraining and its benchmark,
built on the OpenMMLab 2.x stack (mmengine, mmpretrain, mmseg, mmdet).

Importing mmcae checks the installed stack (a warning names any package that
differs from the tested versions) and makes mmengine checkpoints load with
torch's safe ``weights_only`` unpickler (see
:mod:`mmcae.checkpoint.install`); mmcv's hue adjustment works with a
negative factor on NumPy 2 (:mod:`mmcae.utils.mmcv_compat`).
"""
from .version import __version__, check_stack
from . import checkpoint as _checkpoint  # noqa: F401  (installs safe loading)
from .utils import mmcv_compat  # noqa: F401  (hue jitter on NumPy 2)

check_stack()

__all__ = ['__version__', 'check_stack']
