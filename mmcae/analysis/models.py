"""Models for the analysis tools: a config's model (any framework) built
and seeded, a checkpoint of the whole model loaded into it with every
mismatch named, and an ``mmcae.ViT`` from an encoder checkpoint of any
published layout.

A checkpoint that fits only in part is refused (mmengine's
``load_checkpoint`` would load it with a warning, and an analysis of a
half-loaded model is wrong without telling).
"""
import logging
from typing import List, Optional, Sequence, Union

import torch
from torch import nn

from mmcae.utils.errors import UserError


def _quiet_init_weights(model: nn.Module) -> None:
    """``init_weights`` without mmengine's per-parameter INFO report."""
    from mmengine.logging import MMLogger
    try:
        logger = MMLogger.get_current_instance()
    except RuntimeError:  # no logger yet
        logger = MMLogger.get_instance('mmcae.analysis')
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)


def build_model(cfg, seed: int = 0, random_init: bool = True) -> nn.Module:
    """The config's ``model``, built in its ``default_scope`` (mmpretrain
    if unset: mmpretrain, mmseg and mmdet models alike), in eval mode.

    Args:
        cfg (Config): a loaded config (:func:`mmcae.utils.config.
            load_config`).
        seed (int): torch seed of the construction and initialization.
        random_init (bool): run ``init_weights`` (the config's random
            initialization). Skip it when a checkpoint is loaded next, or
            only the parameter count is wanted.

    Raises:
        UserError: the config has no ``model``, or it cannot be built.
    """
    from mmengine.registry import MODELS, DefaultScope
    import mmcae.models  # noqa: F401  (registers the mmcae types)
    if cfg.get('model') is None:
        raise UserError(f"config '{cfg.filename}' has no 'model'")
    torch.manual_seed(seed)
    scope = cfg.get('default_scope') or 'mmpretrain'
    with DefaultScope.overwrite_default_scope(scope):
        try:
            model = MODELS.build(cfg.model)
        except (KeyError, TypeError, ValueError) as err:
            raise UserError(f"config '{cfg.filename}': the model cannot be "
                            f'built: {type(err).__name__}: {err}') from err
        if random_init:
            _quiet_init_weights(model)
    model.eval()  # some backbones' train() returns None
    return model


def load_checkpoint(model: nn.Module,
                    path: str,
                    required_prefixes: Optional[Sequence[str]] = (
                        'backbone.', ),
                    trust: Optional[bool] = None,
                    strict: bool = False,
                    target: str = "the config's model",
                    advice: Optional[str] = None) -> List[str]:
    """Load a checkpoint of the whole model (``state_dict``, as mmengine
    saves it) into ``model`` through :func:`mmcae.checkpoint.
    load_weights_into`.

    Every parameter and buffer of ``model`` whose name starts with one of
    ``required_prefixes`` (all of them for None) must be in the file with
    the same shape; other keys are loaded when they fit and otherwise left
    alone (e.g. the classification head of a config whose backbone is
    analysed).

    Args:
        model (nn.Module): the config's model.
        path (str): the checkpoint file.
        required_prefixes (Sequence[str], optional): keys that must fit.
        trust (bool, optional): see :func:`mmcae.checkpoint.
            read_checkpoint`.
        strict (bool): also refuse keys the model does not have.
        target (str): what the model is, for the message.
        advice (str, optional): what to do about a misfit, for the message.

    Returns:
        list[str]: the model keys not loaded (outside the prefixes).

    Raises:
        UserError: missing file, unreadable file, or required keys that are
            missing or of another shape (the message names file and keys).
    """
    from mmcae.checkpoint import load_weights_into
    if advice is None:
        advice = ('Check the config; for an encoder-only checkpoint of '
                  'another layout (MAE, DINO, DeiT, timm) use --vit with '
                  '--arch')
    return load_weights_into(
        model,
        path,
        trust=trust,
        required=None if required_prefixes is None else tuple(
            required_prefixes),
        allow_unexpected=not strict,
        target=target,
        advice=advice)


def build_vit(arch: Union[str, dict] = 'base',
              checkpoint: Optional[str] = None,
              img_size: int = 224,
              patch_size: int = 16,
              qkv_bias: Optional[str] = 'qkv',
              seed: int = 0) -> nn.Module:
    """An ``mmcae.ViT`` in eval mode, randomly initialized (seeded) or with
    an encoder checkpoint of any layout :func:`mmcae.checkpoint.
    load_vit_pretrained` converts (MAE, DINO, DeiT, timm, mmpretrain...).

    Raises:
        UserError: a bad arch, a missing file or a layout that does not
            convert.
    """
    import os.path as osp

    from mmcae.checkpoint import load_vit_pretrained
    from mmcae.models import ViT
    torch.manual_seed(seed)
    try:
        model = ViT(
            arch=arch,
            img_size=img_size,
            patch_size=patch_size,
            qkv_bias=qkv_bias)
    except ValueError as err:
        raise UserError(f'--arch {arch!r}: {err}') from err
    model.init_weights()
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise UserError(f'checkpoint not found: {checkpoint}')
        try:
            load_vit_pretrained(model, checkpoint)
        except ValueError as err:  # CheckpointFormatError and the like
            raise UserError(str(err)) from err
    model.eval()  # some backbones' train() returns None
    return model


def analysed_backbone(kind: str,
                      source: Union[str, dict],
                      checkpoint: Optional[str],
                      img_size: int = 224,
                      patch_size: int = 16,
                      qkv_bias: Optional[str] = 'qkv',
                      seed: int = 0,
                      trust: Optional[bool] = None,
                      cfg_options: Optional[dict] = None) -> nn.Module:
    """The backbone an attention analysis runs on, in eval mode: the
    ``backbone`` of a config's model (the model itself if it has none)
    with a checkpoint of the whole model, or an ``mmcae.ViT`` of arch
    ``source`` with an encoder checkpoint of any layout.

    Args:
        kind (str): ``'config'`` (``source`` is a config file) or
            ``'vit'`` (``source`` is an arch for :func:`build_vit`).
        checkpoint (str, optional): None: the random initialization
            (seeded with ``seed``).
        img_size, patch_size, qkv_bias: of a ``'vit'``.
        trust, cfg_options: checkpoint trust; overrides of the config.

    Raises:
        UserError: see :func:`build_model`, :func:`load_checkpoint` and
            :func:`build_vit`.
    """
    if kind == 'vit':
        return build_vit(source, checkpoint, img_size, patch_size, qkv_bias,
                         seed)
    from mmcae.utils.config import load_config
    model = build_model(
        load_config(source, cfg_options), seed,
        random_init=checkpoint is None)
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, ('backbone.', ), trust)
    backbone = getattr(model, 'backbone', model)
    backbone.eval()  # some backbones' train() returns None
    return backbone

