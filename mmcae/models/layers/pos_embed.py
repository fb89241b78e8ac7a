"""Absolute position embeddings: the fixed 2-D sin-cos table and resizing.

The sin-cos table follows MoCo v3 / MAE / CAE (Sec. 3 of CAE: "fixed 2D
sin-cos position embeddings"): per axis, half of the channels, each half
split into sin and cos of ``pos * omega_k`` with ``omega_k = 1 /
10000^(k / (D/4))``. Implementations differ in the order of the halves, so
converted checkpoints always bring their own table (see
shared/notes/reference-facts.md); this one only initializes new models.
"""
from typing import Dict, Sequence, Tuple

import torch
import torch.nn.functional as F

from .relative_position import (resize_square_relative_position_table,
                                square_grid_side)


def build_2d_sincos_pos_embed(grid_size: Sequence[int],
                              embed_dims: int,
                              num_extra_tokens: int = 1,
                              temperature: float = 10000.) -> torch.Tensor:
    """The fixed 2-D sin-cos position embedding.

    Args:
        grid_size (Sequence[int]): (height, width) of the patch grid.
        embed_dims (int): channels; a multiple of 4.
        num_extra_tokens (int): zero rows prepended for [CLS] and the like.
        temperature (float): the 10000 of the formula.

    Returns:
        Tensor: shape (1, num_extra_tokens + H * W, embed_dims); channels
        are [sin(h), cos(h), sin(w), cos(w)] per position.
    """
    if embed_dims % 4 != 0:
        raise ValueError(f'sin-cos position embedding needs embed_dims '
                         f'divisible by 4, got {embed_dims}')
    height, width = grid_size
    grid_h, grid_w = torch.meshgrid(
        torch.arange(height, dtype=torch.float64),
        torch.arange(width, dtype=torch.float64),
        indexing='ij')
    quarter = embed_dims // 4
    omega = 1. / temperature**(
        torch.arange(quarter, dtype=torch.float64) / quarter)
    out_h = grid_h.flatten()[:, None] * omega[None]
    out_w = grid_w.flatten()[:, None] * omega[None]
    table = torch.cat(
        [out_h.sin(), out_h.cos(),
         out_w.sin(), out_w.cos()], dim=1).float()
    extra = torch.zeros(num_extra_tokens, embed_dims)
    return torch.cat([extra, table], dim=0)[None]


def resize_pos_embed(pos_embed: torch.Tensor,
                     src_shape: Tuple[int, int],
                     dst_shape: Tuple[int, int],
                     mode: str = 'bicubic',
                     num_extra_tokens: int = 1) -> torch.Tensor:
    """Resize an absolute position embedding to another patch grid.

    The extra tokens' rows ([CLS], distillation) are kept; the grid rows are
    resampled as an image (``align_corners=False``, as BEiT, MAE and
    mmpretrain do).

    Args:
        pos_embed (Tensor): (1, num_extra_tokens + Hs * Ws, C).
        src_shape (tuple): (Hs, Ws) of ``pos_embed``.
        dst_shape (tuple): (Hd, Wd) wanted.
        mode (str): interpolation mode. Defaults to 'bicubic'.
        num_extra_tokens (int): leading rows that are not grid positions.

    Returns:
        Tensor: (1, num_extra_tokens + Hd * Wd, C).
    """
    src_shape, dst_shape = tuple(src_shape), tuple(dst_shape)
    if src_shape == dst_shape:
        return pos_embed
    if pos_embed.ndim != 3:
        raise ValueError('pos_embed must be (1, L, C), got shape '
                         f'{tuple(pos_embed.shape)}')
    expected = num_extra_tokens + src_shape[0] * src_shape[1]
    if pos_embed.shape[1] != expected:
        raise ValueError(
            f'pos_embed has {pos_embed.shape[1]} positions, but a '
            f'{src_shape[0]}x{src_shape[1]} grid with {num_extra_tokens} '
            f'extra tokens needs {expected}')
    extra = pos_embed[:, :num_extra_tokens]
    grid = pos_embed[:, num_extra_tokens:].reshape(1, *src_shape, -1)
    grid = grid.permute(0, 3, 1, 2)
    dtype = grid.dtype
    grid = F.interpolate(
        grid.float(), size=dst_shape, mode=mode, align_corners=False)
    grid = grid.to(dtype).flatten(2).transpose(1, 2)
    return torch.cat([extra, grid], dim=1)


def resize_position_tables(state_dict: Dict[str, torch.Tensor],
                           dst_grid: Tuple[int, int],
                           num_extra_tokens: int = 1
                           ) -> Dict[str, torch.Tensor]:
    """Resize ``pos_embed`` and every relative position table of a ViT
    state dict to a patch grid, in place (source grids must be square).

    The ViT calls it while loading a checkpoint made for another input
    size; :mod:`mmcae.checkpoint` while converting one.

    Args:
        state_dict (dict): ViT keys (``pos_embed``,
            ``blocks.i.attn.relative_position_bias.table``); other keys are
            left as they are.
        dst_grid (tuple[int, int]): the patch grid (h, w) wanted.
        num_extra_tokens (int): leading rows of ``pos_embed`` that are not
            grid positions ([CLS]).

    Returns:
        dict: ``state_dict``.
    """
    if 'pos_embed' in state_dict:
        pos_embed = state_dict['pos_embed']
        side = square_grid_side(pos_embed.shape[1] - num_extra_tokens,
                                'pos_embed')
        state_dict['pos_embed'] = resize_pos_embed(
            pos_embed, (side, side), dst_grid,
            num_extra_tokens=num_extra_tokens)
    for key in list(state_dict):
        if key.endswith('relative_position_bias.table'):
            state_dict[key] = resize_square_relative_position_table(
                state_dict[key], dst_grid)
    return state_dict
