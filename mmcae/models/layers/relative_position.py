"""BEiT-style relative position bias (BEiT Sec. 2.6; used by CAE's
encoder in its fine-tuning recipes)."""
import math
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

#: the [CLS] entries at the end of every table
NUM_CLS_ENTRIES = 3


def relative_position_index(window_size: Tuple[int, int]) -> torch.Tensor:
    """Index into the bias table for every (query, key) pair, [CLS] first.

    The table has ``(2Wh-1)(2Ww-1)`` entries for patch pairs and 3 more:
    [CLS]->patch, patch->[CLS] and [CLS]->[CLS] (BEiT's layout, so that
    BEiT / CAE tables load unchanged).

    Returns:
        Tensor: long, (Wh*Ww + 1, Wh*Ww + 1).
    """
    height, width = window_size
    coords = torch.stack(
        torch.meshgrid(
            torch.arange(height), torch.arange(width),
            indexing='ij')).flatten(1)  # (2, N)
    relative = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
    relative[:, :, 0] += height - 1
    relative[:, :, 1] += width - 1
    relative[:, :, 0] *= 2 * width - 1
    num_patch_distances = (2 * height - 1) * (2 * width - 1)
    num_tokens = height * width + 1
    index = torch.zeros(num_tokens, num_tokens, dtype=torch.long)
    index[1:, 1:] = relative.sum(-1)
    index[0, 0:] = num_patch_distances
    index[0:, 0] = num_patch_distances + 1
    index[0, 0] = num_patch_distances + 2
    return index


def resize_relative_position_table(table: torch.Tensor,
                                   src_window: Tuple[int, int],
                                   dst_window: Tuple[int, int]
                                   ) -> torch.Tensor:
    """Resample a BEiT relative position table to another window.

    The ``(2Wh-1) x (2Ww-1)`` patch offsets are resized bicubically as an
    image per head; the 3 [CLS] entries are kept. (BEiT's own code used
    ``scipy.interpolate.interp2d`` on a geometric grid, removed in SciPy
    1.14; mmpretrain resizes bicubically too.) Differentiable, so a model
    can resize its learned table at run time.

    Args:
        table (Tensor): ((2Wh-1)(2Ww-1) + 3, heads) for ``src_window``.
        src_window (tuple[int, int]): (Wh, Ww) the table was built for.
        dst_window (tuple[int, int]): (Wh', Ww').

    Returns:
        Tensor: ((2Wh'-1)(2Ww'-1) + 3, heads).
    """
    src_shape = (2 * src_window[0] - 1, 2 * src_window[1] - 1)
    dst_shape = (2 * dst_window[0] - 1, 2 * dst_window[1] - 1)
    num_offsets = src_shape[0] * src_shape[1]
    if table.shape[0] != num_offsets + NUM_CLS_ENTRIES:
        raise ValueError(
            f'a relative position table for window {tuple(src_window)} has '
            f'{num_offsets + NUM_CLS_ENTRIES} rows, got {table.shape[0]}')
    if src_shape == dst_shape:
        return table
    grid = table[:num_offsets].T.reshape(1, -1, *src_shape)
    grid = F.interpolate(
        grid.float(), size=dst_shape, mode='bicubic', align_corners=False)
    grid = grid.reshape(table.shape[1], -1).T.to(table.dtype)
    return torch.cat([grid, table[num_offsets:]], dim=0)


def square_grid_side(count: int, what: str) -> int:
    """The side of a square grid of ``count`` positions.

    Raises:
        ValueError: ``count`` is not a square (``what`` names the table).
    """
    side = int(round(math.sqrt(count)))
    if side * side != count:
        raise ValueError(
            f'{what}: {count} positions are not a square grid; give the '
            'source grid explicitly')
    return side


def resize_square_relative_position_table(table: torch.Tensor,
                                          dst_window: Tuple[int, int]
                                          ) -> torch.Tensor:
    """Resize the relative position table of a SQUARE window (what
    published BEiT / CAE checkpoints hold; their window is not stored)
    to another window, as :func:`resize_relative_position_table`.

    Args:
        table (Tensor): ((2Wh-1)(2Ww-1) + 3, heads), square source window.
        dst_window (tuple): (Wh', Ww').

    Returns:
        Tensor: ((2Wh'-1)(2Ww'-1) + 3, heads).
    """
    src_side = square_grid_side(table.shape[0] - NUM_CLS_ENTRIES,
                                'relative position table')
    src_window = ((src_side + 1) // 2, (src_side + 1) // 2)
    return resize_relative_position_table(table, src_window,
                                          tuple(dst_window))


class RelativePositionBias(nn.Module):
    """A learned bias per head for every relative offset of two tokens.

    Args:
        window_size (tuple[int, int]): the patch grid it is built for.
        num_heads (int): attention heads.

    Parameters:
        table: ((2Wh-1)(2Ww-1) + 3, num_heads), zero-initialized as BEiT.

    Another patch grid (e.g. whole-image inference of a segmentor trained
    on 512 x 512 crops) resamples the table bicubically at run time
    (:func:`resize_relative_position_table`), as pretrained tables are
    resampled when they are loaded.
    """

    def __init__(self, window_size: Tuple[int, int], num_heads: int):
        super().__init__()
        self.window_size = tuple(window_size)
        self.num_heads = num_heads
        num_entries = (2 * window_size[0] - 1) * (2 * window_size[1] - 1) + 3
        self.table = nn.Parameter(torch.zeros(num_entries, num_heads))
        # derived from window_size: not saved in checkpoints
        self.register_buffer(
            'index', relative_position_index(self.window_size),
            persistent=False)
        #: indices for other grids, built on first use
        self._other_indices: Dict[Tuple[int, int], torch.Tensor] = {}

    def _table_and_index(self, window_size: Optional[Tuple[int, int]]
                         ) -> Tuple[torch.Tensor, torch.Tensor]:
        if window_size is None or tuple(window_size) == self.window_size:
            return self.table, self.index
        window_size = tuple(window_size)
        index = self._other_indices.get(window_size)
        if index is None or index.device != self.table.device:
            index = relative_position_index(window_size).to(
                self.table.device)
            self._other_indices[window_size] = index
        table = resize_relative_position_table(self.table, self.window_size,
                                               window_size)
        return table, index

    def forward(self,
                keep_index: Optional[torch.Tensor] = None,
                window_size: Optional[Tuple[int, int]] = None
                ) -> torch.Tensor:
        """The additive attention bias.

        Args:
            keep_index (Tensor, optional): (B, n) token indices (0 = [CLS])
                when only some tokens are present.
            window_size (tuple[int, int], optional): the patch grid of the
                input when it differs from the one the table is built for.

        Returns:
            Tensor: (1, H, N, N) for all tokens, or (B, H, n, n).
        """
        table, index = self._table_and_index(window_size)
        num_tokens = index.shape[0]
        bias = table[index.view(-1)].view(num_tokens, num_tokens,
                                          self.num_heads)
        bias = bias.permute(2, 0, 1).contiguous()  # (H, N, N)
        if keep_index is None:
            return bias[None]
        rows = bias[:, keep_index]  # (H, B, n, N)
        gathered = torch.gather(
            rows, 3,
            keep_index[None, :, None, :].expand(self.num_heads, -1,
                                                keep_index.shape[1], -1))
        return gathered.permute(1, 0, 2, 3)  # (B, H, n, n)
