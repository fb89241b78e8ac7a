"""Recognize which public ViT checkpoint layout a file holds.

Layouts (see shared/notes/reference-facts.md, "Checkpoint key layouts"):

========================  =================================================
format                    how it is recognized
========================  =================================================
``mmcae``                 ``backbone.blocks.0.norm1.weight`` (our names)
``mmpretrain_cae``        mmpretrain names with ``target_backbone.`` keys
``mmpretrain_beit``       mmpretrain names (``layers.0.ln1``) with q_bias
``mmpretrain_vit``        mmpretrain names without q_bias
``mocov3``                ``module.base_encoder.`` prefix
``dino``                  a ``teacher`` / ``student`` dict (full checkpoint)
``cae``                   ``encoder.blocks.`` keys (CAE full pretrain)
``beit``                  ``blocks.0.attn.q_bias`` (BEiT, CAE encoder files)
``deit_distilled``        ``dist_token``
``timm``                  ``blocks.0.attn.qkv.weight`` (timm, MAE, DeiT,
                          DINO backbone file)
========================  =================================================
"""
from typing import Any, Dict, Tuple

import torch

FORMATS = ('mmcae', 'mmpretrain_cae', 'mmpretrain_beit', 'mmpretrain_vit',
           'mocov3', 'dino', 'cae', 'beit', 'deit_distilled', 'timm')


class CheckpointFormatError(ValueError):
    """The checkpoint's layout is not one we can convert."""


def unwrap_state_dict(checkpoint: Any,
                      dino_key: str = 'teacher') -> Tuple[Dict, str]:
    """Find the tensors in a checkpoint's container.

    Args:
        checkpoint: what ``torch.load`` returned.
        dino_key (str): for DINO full checkpoints, 'teacher' (default, the
            one DINO evaluates) or 'student'.

    Returns:
        tuple: (state dict, the container key it came from or '').
    """
    if not isinstance(checkpoint, dict):
        raise CheckpointFormatError(
            f'expected a dict, got {type(checkpoint).__name__}')
    if dino_key in checkpoint and isinstance(checkpoint[dino_key], dict):
        return checkpoint[dino_key], dino_key
    for key in ('state_dict', 'model', 'module'):
        if key in checkpoint and isinstance(checkpoint[key], dict):
            return checkpoint[key], key
    if checkpoint and all(
            isinstance(v, torch.Tensor) for v in checkpoint.values()):
        return checkpoint, ''
    raise CheckpointFormatError(
        'found no state dict: keys are '
        f'{sorted(checkpoint)[:10]} (expected state_dict, model, teacher '
        'or a plain name -> tensor dict)')


def detect_format(state_dict: Dict[str, torch.Tensor],
                  container: str = '') -> str:
    """Name the layout of a state dict (see the module table).

    Raises:
        CheckpointFormatError: no known layout matches; the message lists
            a few keys.
    """
    keys = set(state_dict)

    def has(fragment: str) -> bool:
        return any(fragment in key for key in keys)

    if container in ('teacher', 'student'):
        return 'dino'
    if 'backbone.blocks.0.norm1.weight' in keys:
        return 'mmcae'
    if has('layers.0.ln1.weight'):
        if has('target_backbone.'):
            return 'mmpretrain_cae'
        if has('layers.0.attn.q_bias'):
            return 'mmpretrain_beit'
        return 'mmpretrain_vit'
    if has('module.base_encoder.blocks.0.'):
        return 'mocov3'
    if 'encoder.blocks.0.norm1.weight' in keys:
        return 'cae'
    if 'blocks.0.attn.q_bias' in keys:
        return 'beit'
    if 'blocks.0.attn.qkv.weight' in keys:
        return 'deit_distilled' if 'dist_token' in keys else 'timm'
    raise CheckpointFormatError(
        'unknown ViT checkpoint layout; first keys: '
        f'{sorted(keys)[:8]}. Known formats: {", ".join(FORMATS)}')
