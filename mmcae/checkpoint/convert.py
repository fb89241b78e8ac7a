"""Convert public ViT checkpoints to :class:`mmcae.models.ViT` keys.

:func:`convert_vit_checkpoint` unwraps the container, detects the layout
(:mod:`mmcae.checkpoint.formats`), renames keys, drops what is not the
encoder (heads, decoders, momentum/teacher copies, relative position
indices), broadcasts a shared relative position table to every block, and
optionally resizes position tables to another input size (without
``scipy.interpolate.interp2d``, which SciPy 1.14 removed).
"""
import math
import re
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple

import torch

from .formats import (CheckpointFormatError, FORMATS, detect_format,
                      unwrap_state_dict)
from ..models.layers.pos_embed import resize_pos_embed
from ..models.layers.relative_position import \
    resize_relative_position_table as resize_table

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


def _select(state_dict: StateDict, prefix: str) -> StateDict:
    """Keys under ``prefix``, with the prefix removed."""
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if k.startswith(prefix))


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
    if all(k.startswith('module.') for k in state_dict):
        return _select(state_dict, 'module.')
    return state_dict


def _to_mmcae_names(state_dict: StateDict, fmt: str) -> StateDict:
    """Select the encoder and rename it, per format."""
    if fmt == 'mmcae':
        return _select(state_dict, 'backbone.')
    if fmt.startswith('mmpretrain_'):
        if any(k.startswith('backbone.') for k in state_dict):
            state_dict = _select(state_dict, 'backbone.')
        if any(k.startswith('pre_norm.') for k in state_dict):
            raise CheckpointFormatError(
                'this mmpretrain ViT has a pre-norm (CLIP style), which '
                'mmcae.ViT does not implement')
        return _rename(state_dict, _MMPRETRAIN_RULES)
    if fmt == 'mocov3':
        state_dict = _select(state_dict, 'module.base_encoder.')
    elif fmt == 'dino':
        state_dict = _strip_module(state_dict)
        if any(k.startswith('backbone.') for k in state_dict):
            state_dict = _select(state_dict, 'backbone.')
    elif fmt == 'cae':
        state_dict = _select(state_dict, 'encoder.')
    elif fmt == 'timm':
        state_dict = _strip_module(state_dict)
        if 'decoder_embed.weight' in state_dict:  # MAE pretrain file
            state_dict = OrderedDict(
                (k, v) for k, v in state_dict.items()
                if not k.startswith('decoder') and k != 'mask_token')
    elif fmt == 'deit_distilled':
        state_dict = OrderedDict(state_dict)
        state_dict.pop('dist_token')
        pos_embed = state_dict['pos_embed']
        # rows: [CLS], [DIST], patches -> [CLS], patches
        state_dict['pos_embed'] = torch.cat(
            [pos_embed[:, :1], pos_embed[:, 2:]], dim=1)
    return _rename(state_dict, _TIMM_RULES)


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


def _square_side(count: int, what: str) -> int:
    side = int(round(math.sqrt(count)))
    if side * side != count:
        raise CheckpointFormatError(
            f'{what}: {count} positions are not a square grid; give the '
            'source grid explicitly')
    return side


def resize_relative_position_table(table: torch.Tensor,
                                   dst_window: Tuple[int, int]
                                   ) -> torch.Tensor:
    """Resize a BEiT relative position table of a SQUARE window to another
    window (bicubic; see
    :func:`mmcae.models.layers.relative_position.resize_relative_position_table`,
    which the model also uses at run time).

    Args:
        table (Tensor): ((2Wh-1)(2Ww-1) + 3, heads), square source window.
        dst_window (tuple): (Wh', Ww').

    Returns:
        Tensor: ((2Wh'-1)(2Ww'-1) + 3, heads).
    """
    src_side = _square_side(table.shape[0] - 3, 'relative position table')
    src_window = ((src_side + 1) // 2, (src_side + 1) // 2)
    return resize_table(table, src_window, tuple(dst_window))


def resize_position_tables(state_dict: StateDict,
                           dst_grid: Tuple[int, int],
                           num_extra_tokens: int = 1) -> StateDict:
    """Resize ``pos_embed`` and every relative position table to a patch
    grid (source grids must be square)."""
    if 'pos_embed' in state_dict:
        pos_embed = state_dict['pos_embed']
        side = _square_side(pos_embed.shape[1] - num_extra_tokens,
                            'pos_embed')
        state_dict['pos_embed'] = resize_pos_embed(
            pos_embed, (side, side), dst_grid,
            num_extra_tokens=num_extra_tokens)
    for key in list(state_dict):
        if key.endswith('relative_position_bias.table'):
            state_dict[key] = resize_relative_position_table(
                state_dict[key], dst_grid)
    return state_dict


def convert_vit_checkpoint(checkpoint,
                           fmt: str = 'auto',
                           dst_grid: Optional[Tuple[int, int]] = None,
                           dino_key: str = 'teacher') -> Tuple[StateDict,
                                                               str]:
    """Convert a loaded checkpoint to :class:`mmcae.models.ViT` keys.

    Args:
        checkpoint: the object ``torch.load`` returned.
        fmt (str): one of :data:`mmcae.checkpoint.formats.FORMATS`, or
            'auto' to detect it.
        dst_grid (tuple, optional): resize position tables to this patch
            grid (e.g. (32, 32) for 512x512 inputs with 16-px patches).
        dino_key (str): which DINO network to take: 'teacher' or 'student'.

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
    if not any(k.startswith('blocks.') for k in converted):
        raise CheckpointFormatError(
            f'no encoder blocks found after converting as {fmt!r}; first '
            f'keys of the source: {sorted(state_dict)[:8]}')
    if dst_grid is not None:
        converted = resize_position_tables(converted, tuple(dst_grid))
    return converted, fmt
