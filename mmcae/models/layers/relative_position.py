"""BEiT-style relative position bias (BEiT Sec. 2.6; used by CAE's
encoder in its fine-tuning recipes)."""
from typing import Optional, Tuple

import torch
from torch import nn


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


class RelativePositionBias(nn.Module):
    """A learned bias per head for every relative offset of two tokens.

    Args:
        window_size (tuple[int, int]): the patch grid it is built for.
        num_heads (int): attention heads.

    Parameters:
        table: ((2Wh-1)(2Ww-1) + 3, num_heads), zero-initialized as BEiT.
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

    def forward(self, keep_index: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        """The additive attention bias.

        Args:
            keep_index (Tensor, optional): (B, n) token indices (0 = [CLS])
                when only some tokens are present.

        Returns:
            Tensor: (1, H, N, N) for all tokens, or (B, H, n, n).
        """
        num_tokens = self.index.shape[0]
        bias = self.table[self.index.view(-1)].view(num_tokens, num_tokens,
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
