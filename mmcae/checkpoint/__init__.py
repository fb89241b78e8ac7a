"""The one home of checkpoint code.

=====================  ===================================================
module                 what it holds
=====================  ===================================================
``weights``            read a checkpoint's state dict and load it into a
                       model with key and shape checks (start here)
``reader``             safe (``weights_only``) and trusted file reading,
                       downloads, trusted whole-module unpickling
``diagnose``           what a file that fails to load is (from its bytes)
``safe_globals``       what the safe unpickler may rebuild (torch >= 2.6)
``trust``              the trust opt-in: environment variable, tool flags
``install``            makes mmengine save and load through the above
``errors``             the error types (all are ``UserError``)
``formats``            unwrapping, ViT layout detection, the head counts
                       of the official models per format
``convert``            any published ViT layout -> :class:`mmcae.models.ViT`;
                       the source's architecture facts
``load``               :func:`load_vit_pretrained` (convert, check the
                       architecture facts and keys, load)
``initializers``       ``mmcae.StrictPretrained`` / ``mmcae.ViTPretrained``
                       init types, for models that load their own weights
``dalle``              OpenAI's pickled DALL-E encoder -> state dict
``atomic``, ``publish``  writing checkpoints
=====================  ===================================================

Importing this package installs the safe loading into mmengine
(:func:`~mmcae.checkpoint.install.install_safe_loading`); ``import mmcae``
does that. ``convert``, ``load`` and ``publish`` import
:mod:`mmcae.models` (conversion resizes position tables with the model's
own code), so their names are imported on first use: ``import mmcae``
stays light (torch, numpy, mmengine) and has no import cycle with the
models.
"""
import importlib
from typing import Any

from .errors import (CheckpointFormatError, CheckpointMismatchError,
                     CheckpointNotFoundError, CheckpointReadError,
                     UnsafeCheckpointError)
from .trust import TRUST_ENV_VAR, TRUST_FLAGS, is_trusted_by_env, trust_advice
from .reader import (check_checkpoint_file, load_local_checkpoint,
                     load_pickled_module, load_url_checkpoint)
from .install import install_safe_loading
from .formats import FORMATS, detect_format, unwrap_state_dict
from .weights import (StateDictDiff, diff_state_dict, load_weights_into,
                      read_checkpoint, read_state_dict, strip_prefix)
from .initializers import StrictPretrainedInit, ViTPretrainedInit
from .dalle import load_openai_dalle_encoder

install_safe_loading()

#: the names of the modules that import mmcae.models, by module
_IMPORTED_ON_USE = {
    'convert': ('architecture_facts', 'convert_vit_checkpoint',
                'resize_position_tables', 'resize_relative_position_table'),
    'load': ('load_vit_pretrained', ),
    'publish': ('build_published_checkpoint', 'code_version_meta',
                'output_prefix', 'save_with_content_hash'),
}


def __getattr__(name: str) -> Any:
    """Import the module of one of :data:`_IMPORTED_ON_USE`'s names."""
    for module, names in _IMPORTED_ON_USE.items():
        if name in names:
            value = getattr(
                importlib.import_module(f'.{module}', __name__), name)
            globals()[name] = value
            return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

__all__ = [
    'CheckpointFormatError', 'CheckpointMismatchError',
    'CheckpointNotFoundError', 'CheckpointReadError', 'UnsafeCheckpointError',
    'TRUST_ENV_VAR', 'TRUST_FLAGS', 'is_trusted_by_env', 'trust_advice',
    'check_checkpoint_file', 'load_local_checkpoint', 'load_pickled_module',
    'load_url_checkpoint', 'install_safe_loading', 'FORMATS',
    'detect_format', 'unwrap_state_dict', 'StateDictDiff', 'diff_state_dict',
    'load_weights_into', 'read_checkpoint', 'read_state_dict', 'strip_prefix',
    'architecture_facts', 'convert_vit_checkpoint', 'resize_position_tables',
    'resize_relative_position_table', 'load_vit_pretrained',
    'StrictPretrainedInit', 'ViTPretrainedInit', 'load_openai_dalle_encoder',
    'build_published_checkpoint', 'code_version_meta', 'output_prefix',
    'save_with_content_hash'
]
