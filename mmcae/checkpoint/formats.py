"""Recognize which public ViT checkpoint layout a file holds, and what its
official model file says about the architecture.

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

The weight shapes give a ViT's width, depth and MLP size, but not its head
count: a 384-d checkpoint loads into a 6-head and a 12-head model alike and
gives other features in each. :data:`KNOWN_HEADS` holds the head counts of
the formats whose official model files fix them, by width:

==================  =======================================================
format              heads by width (official model file)
==================  =======================================================
``cae``             192, 384, 768: 12; 1024: 16 (Atten4Vis/CAE
                    models/modeling_cae.py ``cae_*_patch16_224_8k_vocab``,
                    models/modeling_finetune.py ``cae_*_patch16_224``)
``mocov3``          384, 768: 12 (facebookresearch/moco-v3 vits.py
                    ``vit_small``, ``vit_base``)
``beit``            768: 12; 1024: 16 (microsoft/unilm beit/
                    modeling_finetune.py ``beit_base/large_patch16_224``;
                    CAE's encoder releases: same heads). A 384-d file of
                    this layout is not assumed to be anything.
``dino``            192: 3; 384: 6; 768: 12 (facebookresearch/dino
                    vision_transformer.py ``vit_tiny/small/base``)
``deit_distilled``  192: 3; 384: 6; 768: 12 (facebookresearch/deit
                    models.py ``deit_*_distilled_patch16_224``)
==================  =======================================================

``timm``, ``mmpretrain_*`` and ``mmcae`` files can be any architecture, so
nothing is assumed for them. A relative position bias table (BEiT, CAE
fine-tuned files) has one column per head: where a file has one, its head
count is read from it, whatever the format
(:func:`mmcae.checkpoint.convert.architecture_facts`).
"""
from typing import Any, Dict, Optional, Tuple

import torch

from .errors import CheckpointFormatError

FORMATS = ('mmcae', 'mmpretrain_cae', 'mmpretrain_beit', 'mmpretrain_vit',
           'mocov3', 'dino', 'cae', 'beit', 'deit_distilled', 'timm')

#: format -> {embed_dims: (num_heads, which official model that is)} for
#: the formats whose official model file fixes the head count (see the
#: module docstring); the description is quoted in the loader's refusal
KNOWN_HEADS: Dict[str, Dict[int, Tuple[int, str]]] = {
    'cae': {
        192: (12, 'official CAE ViT-T, Atten4Vis/CAE cae_tiny_patch16_224'),
        384: (12, 'official CAE ViT-S, Atten4Vis/CAE cae_small_patch16_224'),
        768: (12, 'official CAE ViT-B, Atten4Vis/CAE cae_base_patch16_224'),
        1024: (16,
               'official CAE ViT-L, Atten4Vis/CAE cae_large_patch16_224'),
    },
    'mocov3': {
        384: (12, 'MoCo v3 ViT-S, facebookresearch/moco-v3 vits.py '
              'vit_small'),
        768: (12, 'MoCo v3 ViT-B, facebookresearch/moco-v3 vits.py '
              'vit_base'),
    },
    'beit': {
        768: (12, 'BEiT / CAE ViT-B, microsoft/unilm beit '
              'beit_base_patch16_224'),
        1024: (16, 'BEiT / CAE ViT-L, microsoft/unilm beit '
               'beit_large_patch16_224'),
    },
    'dino': {
        192: (3, 'DINO ViT-T, facebookresearch/dino vit_tiny'),
        384: (6, 'DINO ViT-S, facebookresearch/dino vit_small'),
        768: (12, 'DINO ViT-B, facebookresearch/dino vit_base'),
    },
    'deit_distilled': {
        192: (3, 'distilled DeiT-Ti, facebookresearch/deit '
              'deit_tiny_distilled_patch16_224'),
        384: (6, 'distilled DeiT-S, facebookresearch/deit '
              'deit_small_distilled_patch16_224'),
        768: (12, 'distilled DeiT-B, facebookresearch/deit '
              'deit_base_distilled_patch16_224'),
    },
}


#: the keys a checkpoint may wrap its state dict in (mmengine / timm /
#: BEiT: 'state_dict' / 'model'; DDP-era files: 'module'; BEiT's d-VAE:
#: 'weights'), looked into in this order
CONTAINER_KEYS = ('state_dict', 'model', 'module', 'weights')


def unwrap_state_dict(checkpoint: Any,
                      dino_key: Optional[str] = 'teacher'
                      ) -> Tuple[Dict, str]:
    """Find the tensors in a checkpoint's container.

    Containers (:data:`CONTAINER_KEYS`) are followed as long as the dict at
    hand is not a plain name -> tensor dict, so ``{'model': {'state_dict':
    ...}}`` unwraps too.

    Args:
        checkpoint: what ``torch.load`` returned.
        dino_key (str, optional): for DINO full checkpoints, 'teacher'
            (default, the one DINO evaluates) or 'student'; None for no
            DINO entry.

    Returns:
        tuple: (state dict, the container key it came from or '').
    """
    if not isinstance(checkpoint, dict):
        raise CheckpointFormatError(
            f'expected a dict, got {type(checkpoint).__name__}')
    if dino_key and isinstance(checkpoint.get(dino_key), dict):
        return checkpoint[dino_key], dino_key
    state, container = checkpoint, ''
    while not (state and all(
            isinstance(v, torch.Tensor) for v in state.values())):
        inner = [k for k in CONTAINER_KEYS if isinstance(state.get(k), dict)]
        if not inner:
            break
        state, container = state[inner[0]], inner[0]
    if container or state and all(
            isinstance(v, torch.Tensor) for v in state.values()):
        return state, container
    raise CheckpointFormatError(
        'found no state dict: keys are '
        f'{sorted(map(str, checkpoint))[:10]} (expected state_dict, model, '
        'teacher or a plain name -> tensor dict)')


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
