"""Weight initializers that load through :mod:`mmcae.checkpoint`.

Models do not import checkpoint code (checkpoint conversion imports the
models' position-table resizing, so the other direction would be a cycle);
a model that loads its own weights names one of these initializers by its
registry name instead, e.g. from ``init_weights``::

    from mmengine.model import initialize
    initialize(self, dict(type='mmcae.StrictPretrained', checkpoint=path))

Why not mmengine's ``Pretrained`` (:class:`mmengine.model.PretrainedInit`):
it loads with ``strict=False`` and only logs what did not match, so a
module that kept random weights (a tokenizer giving random targets, an
encoder left partly random) trains on without an error.
"""
from typing import Optional, Sequence

from torch import nn

from mmcae.registry import WEIGHT_INITIALIZERS
from mmcae.utils.errors import UserError
from .weights import load_weights_into


class ConfigOptionError(TypeError, UserError):
    """An initializer option of the wrong type (a TypeError that the tools
    print as one line)."""


@WEIGHT_INITIALIZERS.register_module(name='StrictPretrained')
class StrictPretrainedInit:
    """``type='mmcae.StrictPretrained'``: load every parameter and buffer
    of the module from ``checkpoint`` with its shape
    (:func:`~mmcae.checkpoint.load_weights_into` with every key required;
    file keys the module does not use are ignored).

    Args:
        checkpoint (str): the file (or URL).
        target (str, optional): what the module is, for the message.
        advice (str): what to do about a misfit, for the message.
        wrapper_prefixes (Sequence[str]): prefixes to remove when no key
            of the module is in the file as it is (e.g. the attribute name
            of the module inside the model that saved it).
    """

    def __init__(self,
                 checkpoint: str,
                 target: Optional[str] = None,
                 advice: str = '',
                 wrapper_prefixes: Sequence[str] = ('module.', )) -> None:
        self.checkpoint = checkpoint
        self.target = target
        self.advice = advice
        self.wrapper_prefixes = tuple(wrapper_prefixes)

    def __call__(self, module: nn.Module) -> None:
        load_weights_into(
            module,
            self.checkpoint,
            target=self.target,
            advice=self.advice,
            wrapper_prefixes=self.wrapper_prefixes)


@WEIGHT_INITIALIZERS.register_module(name='ViTPretrained')
class ViTPretrainedInit:
    """``type='mmcae.ViTPretrained'``: convert a ViT checkpoint of any
    supported layout, check the source's architecture facts against the
    module and load it (:func:`~mmcae.checkpoint.load_vit_pretrained`).

    Args:
        checkpoint (str): the file (or URL).
        format (str): the layout, or 'auto'. Defaults to 'auto'.
        map_location (str): where tensors are loaded. Defaults to 'cpu'.
        norm_to_fc_norm (bool): load the file's final ``norm.*`` into the
            module's ``fc_norm.*`` (official CAE fine-tuning with mean
            pooling; needs ``out_type='avg_featmap'``, ``final_norm=False``).
            Defaults to False (MAE-style: ``fc_norm`` starts at identity).
        drop_dist_token (bool): load a distilled DeiT into a ViT without
            ``with_dist_token`` by dropping its [DIST] token (other
            features than the original's). Defaults to False (refused).
    """

    def __init__(self,
                 checkpoint: str,
                 format: str = 'auto',
                 map_location: str = 'cpu',
                 norm_to_fc_norm: bool = False,
                 drop_dist_token: bool = False) -> None:
        for name, value in (('norm_to_fc_norm', norm_to_fc_norm),
                            ('drop_dist_token', drop_dist_token)):
            if not isinstance(value, bool):
                raise ConfigOptionError(
                    f'init_cfg {name} must be True or False, got {value!r}')
        self.checkpoint = checkpoint
        self.format = format
        self.map_location = map_location
        self.norm_to_fc_norm = norm_to_fc_norm
        self.drop_dist_token = drop_dist_token

    def __call__(self, module: nn.Module) -> None:
        # imported here: conversion imports mmcae.models, and this module
        # is imported (registered) by ``import mmcae``, which stays light
        from .load import load_vit_pretrained
        load_vit_pretrained(
            module,
            self.checkpoint,
            self.format,
            self.map_location,
            norm_to_fc_norm=self.norm_to_fc_norm,
            drop_dist_token=self.drop_dist_token)
