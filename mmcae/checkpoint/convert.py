"""Convert public ViT checkpoints to :class:`mmcae.models.ViT` keys.

:func:`convert_vit_checkpoint` unwraps the container, detects the layout
(:mod:`mmcae.checkpoint.formats`), renames keys, drops what is not the
encoder (heads, decoders, momentum/teacher copies, relative position
indices), broadcasts a shared relative position table to every block, and
optionally resizes position tables to another input size (without
``scipy.interpolate.interp2d``, which SciPy 1.14 removed).

A distilled DeiT keeps its [DIST] token (``dist_token`` and its position
row: the ViT's ``with_dist_token=True``), because every token of the
official model attends to it: without it the [CLS] output differs. It is
dropped only on request (``drop_dist_token=True``).

:func:`architecture_facts` says what a converted state dict and its source
format tell about the architecture (width, depth, MLP size, the head count
where it is known, [DIST]); the converter tool records them in the written
file's ``meta['source']`` and :func:`mmcae.checkpoint.load_vit_pretrained`
checks them against the model.
"""
import re
from collections import OrderedDict
from typing import Any, Dict, Optional, Sequence, Tuple

import torch

from .formats import (CheckpointFormatError, FORMATS, KNOWN_HEADS,
                      detect_format, unwrap_state_dict)
from .weights import strip_prefix
from ..models.layers import resize_position_tables
from ..models.layers import \
    resize_square_relative_position_table as resize_relative_position_table

# the resizing is the model's (it also runs while a ViT loads a state
# dict); re-exported because conversion resizes on request (``dst_grid``)
__all__ = ['architecture_facts', 'convert_vit_checkpoint',
           'remove_dist_token', 'resize_position_tables',
           'resize_relative_position_table']

StateDict = Dict[str, torch.Tensor]

#: mmpretrain name patterns -> ours (applied in order, first match wins)
_MMPRETRAIN_RULES: Sequence[Tuple[str, str]] = (
    (r'^patch_embed\.projection\.', 'patch_embed.proj.'),
    (r'^layers\.(\d+)\.ln1\.', r'blocks.\1.norm1.'),
    (r'^layers\.(\d+)\.ln2\.', r'blocks.\1.norm2.'),
    (r'^layers\.(\d+)\.attn\.gamma1\.weight$', r'blocks.\1.gamma_1'),
    (r'^layers\.(\d+)\.ffn\.gamma2\.weight$', r'blocks.\1.gamma_2'),
    (r'^layers\.(\d+)\.gamma_(\d)$', r'blocks.\1.gamma_\2'),
    (r'^layers\.(\d+)\.attn\.relative_position_bias_table$',
     r'blocks.\1.attn.relative_position_bias.table'),
    (r'^layers\.(\d+)\.attn\.', r'blocks.\1.attn.'),
    (r'^layers\.(\d+)\.ffn\.layers\.0\.0\.', r'blocks.\1.mlp.fc1.'),
    (r'^layers\.(\d+)\.ffn\.layers\.1\.', r'blocks.\1.mlp.fc2.'),
    (r'^ln1\.', 'norm.'),
    (r'^ln2\.', 'fc_norm.'),
)

#: timm / BEiT name patterns -> ours
_TIMM_RULES: Sequence[Tuple[str, str]] = (
    (r'^blocks\.(\d+)\.ls(\d)\.gamma$', r'blocks.\1.gamma_\2'),
    (r'^blocks\.(\d+)\.attn\.relative_position_bias_table$',
     r'blocks.\1.attn.relative_position_bias.table'),
)

#: keys of the encoder that are not in any of our parameters
_DROP = re.compile(r'(^|\.)(relative_position_index|head|head_dist|lm_head|'
                   r'pre_logits)(\.|$)')
_SHARED_TABLE = 'rel_pos_bias.relative_position_bias_table'


def _rename(state_dict: StateDict,
            rules: Sequence[Tuple[str, str]]) -> StateDict:
    out = OrderedDict()
    for key, value in state_dict.items():
        for pattern, replacement in rules:
            new_key, count = re.subn(pattern, replacement, key)
            if count:
                key = new_key
                break
        out[key] = value
    return out


def _strip_module(state_dict: StateDict) -> StateDict:
    """Without DDP's ``module.`` prefix, when every key has it."""
    if all(k.startswith('module.') for k in state_dict):
        return strip_prefix(state_dict, 'module.')
    return state_dict


def _to_mmcae_names(state_dict: StateDict, fmt: str) -> StateDict:
    """Select the encoder and rename it, per format."""
    if fmt == 'mmcae':
        return strip_prefix(state_dict, 'backbone.')
    if fmt.startswith('mmpretrain_'):
        if any(k.startswith('backbone.') for k in state_dict):
            state_dict = strip_prefix(state_dict, 'backbone.')
        if any(k.startswith('pre_norm.') for k in state_dict):
            raise CheckpointFormatError(
                'this mmpretrain ViT has a pre-norm (CLIP style), which '
                'mmcae.ViT does not implement')
        return _rename(state_dict, _MMPRETRAIN_RULES)
    if fmt == 'mocov3':
        state_dict = strip_prefix(state_dict, 'module.base_encoder.')
    elif fmt == 'dino':
        state_dict = _strip_module(state_dict)
        if any(k.startswith('backbone.') for k in state_dict):
            state_dict = strip_prefix(state_dict, 'backbone.')
    elif fmt == 'cae':
        state_dict = strip_prefix(state_dict, 'encoder.')
    elif fmt == 'timm':
        state_dict = _strip_module(state_dict)
        if 'decoder_embed.weight' in state_dict:  # MAE pretrain file
            state_dict = OrderedDict(
                (k, v) for k, v in state_dict.items()
                if not k.startswith('decoder') and k != 'mask_token')
    return _rename(state_dict, _TIMM_RULES)


def remove_dist_token(state_dict: StateDict) -> StateDict:
    """Remove a distilled DeiT's [DIST] token and its position row, in
    place (position rows: [CLS], [DIST], patches -> [CLS], patches).

    The result loads into a ViT without ``with_dist_token``, but its
    features are not the distilled model's (every token attended to
    [DIST]); only on the user's explicit request.
    """
    if state_dict.pop('dist_token', None) is not None and \
            'pos_embed' in state_dict:
        pos_embed = state_dict['pos_embed']
        state_dict['pos_embed'] = torch.cat(
            [pos_embed[:, :1], pos_embed[:, 2:]], dim=1)
    return state_dict


def _num_blocks(state_dict: StateDict) -> int:
    ids = {int(m.group(1)) for k in state_dict
           for m in [re.match(r'^blocks\.(\d+)\.', k)] if m}
    return max(ids) + 1 if ids else 0


def _broadcast_shared_table(state_dict: StateDict) -> StateDict:
    """BEiT's shared relative position table -> one copy per block."""
    if _SHARED_TABLE not in state_dict:
        return state_dict
    table = state_dict.pop(_SHARED_TABLE)
    for index in range(_num_blocks(state_dict)):
        state_dict[f'blocks.{index}.attn.relative_position_bias.table'] = \
            table.clone()
    return state_dict


def architecture_facts(state_dict: StateDict, fmt: str) -> Dict[str, Any]:
    """What a converted state dict and its source format say about the
    architecture.

    Args:
        state_dict (dict): ViT keys (what :func:`convert_vit_checkpoint`
            returns).
        fmt (str): the source format (one of
            :data:`~mmcae.checkpoint.formats.FORMATS`).

    Returns:
        dict: ``format``; ``embed_dims``, ``num_layers``,
        ``mlp_hidden_dims`` (from the shapes, where present);
        ``with_dist_token`` (a [DIST] token is in the state dict);
        ``num_heads`` and ``num_heads_from`` (why: the relative position
        tables, or the official model of
        :data:`~mmcae.checkpoint.formats.KNOWN_HEADS`) only where known.

    Example:
        >>> architecture_facts(converted_cae_small, 'cae')
        {'format': 'cae', 'embed_dims': 384, 'num_layers': 12,
         'mlp_hidden_dims': 1536, 'with_dist_token': False,
         'num_heads': 12, 'num_heads_from': 'official CAE ViT-S, ...'}
    """
    facts: Dict[str, Any] = dict(format=fmt)
    patch_weight = state_dict.get('patch_embed.proj.weight')
    if patch_weight is not None:
        facts['embed_dims'] = int(patch_weight.shape[0])
    facts['num_layers'] = _num_blocks(state_dict)
    fc1 = state_dict.get('blocks.0.mlp.fc1.weight')
    if fc1 is not None:
        facts['mlp_hidden_dims'] = int(fc1.shape[0])
    facts['with_dist_token'] = 'dist_token' in state_dict
    # a relative position table has one column per head: the head count
    # itself, whatever the format says
    tables = [
        value for key, value in state_dict.items()
        if key.endswith('relative_position_bias.table') and value.dim() == 2
    ]
    known = KNOWN_HEADS.get(fmt, {}).get(facts.get('embed_dims'))
    if tables:
        facts['num_heads'] = int(tables[0].shape[1])
        facts['num_heads_from'] = 'its relative position bias tables'
    elif known is not None:
        facts['num_heads'], facts['num_heads_from'] = known
    return facts


def convert_vit_checkpoint(checkpoint,
                           fmt: str = 'auto',
                           dst_grid: Optional[Tuple[int, int]] = None,
                           dino_key: str = 'teacher',
                           drop_dist_token: bool = False
                           ) -> Tuple[StateDict, str]:
    """Convert a loaded checkpoint to :class:`mmcae.models.ViT` keys.

    Args:
        checkpoint: the object ``torch.load`` returned.
        fmt (str): one of :data:`mmcae.checkpoint.formats.FORMATS`, or
            'auto' to detect it.
        dst_grid (tuple, optional): resize position tables to this patch
            grid (e.g. (32, 32) for 512x512 inputs with 16-px patches).
        dino_key (str): which DINO network to take: 'teacher' or 'student'.
        drop_dist_token (bool): remove a distilled DeiT's [DIST] token and
            its position row (:func:`remove_dist_token`); by default they are
            kept, for a ViT with ``with_dist_token=True``.

    Returns:
        tuple: (state dict with ViT keys, the format used).
    """
    state_dict, container = unwrap_state_dict(checkpoint, dino_key)
    if fmt == 'auto':
        fmt = detect_format(state_dict, container)
    elif fmt not in FORMATS:
        raise CheckpointFormatError(
            f'unknown format {fmt!r}; use auto or one of {", ".join(FORMATS)}')
    converted = _to_mmcae_names(state_dict, fmt)
    converted = OrderedDict((k, v) for k, v in converted.items()
                            if not _DROP.search(k))
    converted = _broadcast_shared_table(converted)
    if drop_dist_token:
        converted = remove_dist_token(converted)
    if not any(k.startswith('blocks.') for k in converted):
        raise CheckpointFormatError(
            f'no encoder blocks found after converting as {fmt!r}; first '
            f'keys of the source: {sorted(state_dict)[:8]}')
    if dst_grid is not None:
        try:
            # leading rows of pos_embed: [CLS] (and [DIST])
            converted = resize_position_tables(
                converted, tuple(dst_grid),
                num_extra_tokens=1 + int('dist_token' in converted))
        except ValueError as error:  # e.g. a table of no square grid
            raise CheckpointFormatError(str(error)) from error
    return converted, fmt
