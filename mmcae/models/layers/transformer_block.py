"""The pre-norm transformer block of ViT / BEiT / CAE encoders."""
from typing import Optional, Tuple

import torch
from mmcv.cnn.bricks import DropPath
from torch import nn

from .attention import Attention


def layer_scale(embed_dims: int, init_value: float) -> Optional[nn.Parameter]:
    """A per-channel residual scale (CaiT / BEiT ``gamma``), or None for
    ``init_value`` 0."""
    if init_value <= 0:
        return None
    return nn.Parameter(torch.full((embed_dims, ), float(init_value)))


class Mlp(nn.Module):
    """fc1 -> GELU -> dropout -> fc2 -> dropout (names as in timm)."""

    def __init__(self, embed_dims: int, hidden_dims: int, drop: float = 0.):
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, hidden_dims)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dims, embed_dims)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class TransformerBlock(nn.Module):
    """x + DropPath(gamma_1 * Attn(LN(x))), then x + DropPath(gamma_2 *
    MLP(LN(x))).

    Args:
        embed_dims (int): channels.
        num_heads (int): attention heads.
        mlp_hidden_dims (int): hidden width of the MLP.
        qkv_bias (str | None): see :class:`Attention`.
        layer_scale_init_value (float): initial value of the per-channel
            layer scales ``gamma_1``/``gamma_2`` (CaiT / BEiT); 0 disables
            them.
        drop_rate (float): dropout after projections.
        attn_drop_rate (float): dropout on attention weights.
        drop_path_rate (float): stochastic depth of this block.
        norm_eps (float): LayerNorm epsilon.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 mlp_hidden_dims: int,
                 qkv_bias: Optional[str] = 'qkv',
                 layer_scale_init_value: float = 0.,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_eps: float = 1e-6):
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.attn = Attention(embed_dims, num_heads, qkv_bias, attn_drop_rate,
                              drop_rate)
        self.norm2 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.mlp = Mlp(embed_dims, mlp_hidden_dims, drop_rate)
        self.drop_path = DropPath(
            drop_path_rate) if drop_path_rate > 0 else nn.Identity()
        self.gamma_1 = layer_scale(embed_dims, layer_scale_init_value)
        self.gamma_2 = layer_scale(embed_dims, layer_scale_init_value)

    def _residuals(self, x: torch.Tensor,
                   attention: torch.Tensor) -> torch.Tensor:
        """The block output given the attention output of ``norm1(x)``."""
        if self.gamma_1 is not None:
            attention = self.gamma_1 * attention
        x = x + self.drop_path(attention)
        out = self.mlp(self.norm2(x))
        if self.gamma_2 is not None:
            out = self.gamma_2 * out
        return x + self.drop_path(out)

    def forward(self,
                x: torch.Tensor,
                attn_bias: Optional[torch.Tensor] = None) -> torch.Tensor:
        """
        Args:
            x (Tensor): (B, N, C).
            attn_bias (Tensor, optional): see :class:`Attention`.

        Returns:
            Tensor: (B, N, C).
        """
        return self._residuals(x, self.attn(self.norm1(x), attn_bias))

    def forward_with_cls_attention(
            self,
            x: torch.Tensor,
            attn_bias: Optional[torch.Tensor] = None,
            direction: str = 'cls_to_patch'
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """:meth:`forward`, and the first token's attention in this block
        (:meth:`Attention.forward_with_cls_attention`).

        Args:
            x (Tensor): (B, N, C).
            attn_bias (Tensor, optional): see :class:`Attention`.
            direction (str): 'cls_to_patch' or 'patch_to_cls'.

        Returns:
            tuple[Tensor, Tensor]: the block output (B, N, C), equal to
            :meth:`forward`'s, and the [CLS] attention (B, heads, N).
        """
        attention, cls_attention = self.attn.forward_with_cls_attention(
            self.norm1(x), attn_bias, direction)
        return self._residuals(x, attention), cls_attention
