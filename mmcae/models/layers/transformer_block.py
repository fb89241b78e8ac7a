"""The pre-norm transformer block of ViT / BEiT / CAE encoders."""
from typing import Optional, Tuple, Union

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

    def forward(
        self,
        x: torch.Tensor,
        attn_bias: Optional[torch.Tensor] = None,
        return_cls_attention: bool = False,
        cls_attention_direction: str = 'cls_to_patch'
    ) -> Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        """
        Args:
            x (Tensor): (B, N, C).
            attn_bias (Tensor, optional): see :class:`Attention`.
            return_cls_attention (bool): also return the first token's
                attention, (B, heads, N) (see :class:`Attention`).
            cls_attention_direction (str): see :class:`Attention`.

        Returns:
            Tensor | tuple[Tensor, Tensor]: the block output, and the
            [CLS] attention row if asked for.
        """
        cls_attention = None
        if return_cls_attention:
            out, cls_attention = self.attn(
                self.norm1(x), attn_bias, return_cls_attention=True,
                cls_attention_direction=cls_attention_direction)
        else:
            out = self.attn(self.norm1(x), attn_bias)
        if self.gamma_1 is not None:
            out = self.gamma_1 * out
        x = x + self.drop_path(out)
        out = self.mlp(self.norm2(x))
        if self.gamma_2 is not None:
            out = self.gamma_2 * out
        x = x + self.drop_path(out)
        if return_cls_attention:
            return x, cls_attention
        return x
