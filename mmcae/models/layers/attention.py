"""Multi-head self-attention through ``F.scaled_dot_product_attention``."""
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

QKV_BIAS_MODES = ('qkv', 'qv', None)
#: which [CLS] attention :meth:`Attention.forward_with_cls_attention` gives
CLS_ATTENTION_DIRECTIONS = ('cls_to_patch', 'patch_to_cls')


class Attention(nn.Module):
    """Multi-head self-attention with the bias layouts of ViT and BEiT.

    Args:
        embed_dims (int): channels.
        num_heads (int): heads; ``embed_dims`` must divide evenly.
        qkv_bias (str | None): ``'qkv'``: one bias on the fused projection
            (ViT, MAE, DeiT); ``'qv'``: separate ``q_bias`` and ``v_bias``,
            no key bias (BEiT, CAE); ``None``: no bias.
        attn_drop (float): dropout on attention weights.
        proj_drop (float): dropout after the output projection.

    Parameters (names match timm / MAE / BEiT checkpoints): ``qkv``,
    ``q_bias``, ``v_bias``, ``proj``.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 qkv_bias: Optional[str] = 'qkv',
                 attn_drop: float = 0.,
                 proj_drop: float = 0.):
        super().__init__()
        if qkv_bias not in QKV_BIAS_MODES:
            raise ValueError(f'qkv_bias must be one of {QKV_BIAS_MODES}, '
                             f'got {qkv_bias!r}')
        if embed_dims % num_heads != 0:
            raise ValueError(f'embed_dims {embed_dims} is not divisible by '
                             f'num_heads {num_heads}')
        self.num_heads = num_heads
        self.qkv_bias = qkv_bias
        self.qkv = nn.Linear(
            embed_dims, embed_dims * 3, bias=qkv_bias == 'qkv')
        if qkv_bias == 'qv':
            self.q_bias = nn.Parameter(torch.zeros(embed_dims))
            self.v_bias = nn.Parameter(torch.zeros(embed_dims))
        self.attn_drop = attn_drop
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def _qkv_bias(self) -> Optional[torch.Tensor]:
        if self.qkv_bias == 'qv':
            return torch.cat(
                [self.q_bias,
                 torch.zeros_like(self.v_bias), self.v_bias])
        return self.qkv.bias

    def attention_weights(
            self,
            x: torch.Tensor,
            attn_bias: Optional[torch.Tensor] = None) -> torch.Tensor:
        """The full softmax attention that :meth:`forward` applies.

        The same projection (``qkv`` with :meth:`_qkv_bias`), scale
        ``head_dim ** -0.5`` and additive ``attn_bias`` as the fused kernel
        of :meth:`forward`; a boolean ``attn_bias`` is a mask (True =
        attend), as in ``F.scaled_dot_product_attention``. No dropout: the
        weights of the module in eval mode.

        Args:
            x (Tensor): (B, N, C).
            attn_bias (Tensor, optional): broadcastable to (B, heads, N, N).

        Returns:
            Tensor: (B, heads, N, N); every row sums to 1 over the keys.
        """
        query, key, _ = self._query_key_value(x)
        return self._softmax_attention(query, key, attn_bias)

    def _query_key_value(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """(B, N, C) -> query, key, value, each (B, heads, N, C / heads)."""
        batch, num_tokens, channels = x.shape
        qkv = F.linear(x, self.qkv.weight, self._qkv_bias())
        qkv = qkv.reshape(batch, num_tokens, 3, self.num_heads,
                          channels // self.num_heads).permute(2, 0, 3, 1, 4)
        return qkv.unbind(0)

    @staticmethod
    def _softmax_attention(query: torch.Tensor, key: torch.Tensor,
                           attn_bias: Optional[torch.Tensor]) -> torch.Tensor:
        """softmax(q k^T / sqrt(d) + bias) over the keys; a boolean bias is
        a mask (True = attend)."""
        logits = (query * query.shape[-1]**-0.5) @ key.transpose(-2, -1)
        if attn_bias is not None:
            if attn_bias.dtype == torch.bool:
                logits = logits.masked_fill(~attn_bias, float('-inf'))
            else:
                logits = logits + attn_bias.to(logits.dtype)
        return logits.softmax(dim=-1)

    def _attend(self, query: torch.Tensor, key: torch.Tensor,
                value: torch.Tensor,
                attn_bias: Optional[torch.Tensor]) -> torch.Tensor:
        """The fused attention and the output projection: (B, N, C)."""
        batch, _, num_tokens, head_dims = query.shape
        out = F.scaled_dot_product_attention(
            query,
            key,
            value,
            attn_mask=attn_bias,
            dropout_p=self.attn_drop if self.training else 0.)
        out = out.transpose(1, 2).reshape(batch, num_tokens,
                                          self.num_heads * head_dims)
        return self.proj_drop(self.proj(out))

    def forward(self,
                x: torch.Tensor,
                attn_bias: Optional[torch.Tensor] = None) -> torch.Tensor:
        """
        Args:
            x (Tensor): (B, N, C).
            attn_bias (Tensor, optional): additive bias broadcastable to
                (B, heads, N, N), e.g. a relative position bias.

        Returns:
            Tensor: (B, N, C).
        """
        query, key, value = self._query_key_value(x)
        if attn_bias is not None:
            attn_bias = attn_bias.to(query.dtype)
        return self._attend(query, key, value, attn_bias)

    def forward_with_cls_attention(
            self,
            x: torch.Tensor,
            attn_bias: Optional[torch.Tensor] = None,
            direction: str = 'cls_to_patch'
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """:meth:`forward`, and the attention between the first token
        ([CLS]) and every token, from the same projections.

        Args:
            x (Tensor): (B, N, C).
            attn_bias (Tensor, optional): see :meth:`forward`.
            direction (str): one of :data:`CLS_ATTENTION_DIRECTIONS`.
                'cls_to_patch': the weights of [CLS]'s query over every
                key, softmax over the keys (one query against the keys:
                the N x N matrix is never materialized and the output
                still goes through the fused SDPA kernel);
                'patch_to_cls': the weight every query gives to the first
                key (needs every query's softmax: the full matrix).

        Returns:
            tuple[Tensor, Tensor]: the output (B, N, C), equal to
            :meth:`forward`'s, and the weights (B, heads, N): [CLS]'s row
            or column of the attention matrix.
        """
        if direction not in CLS_ATTENTION_DIRECTIONS:
            raise ValueError("cls_attention_direction must be 'cls_to_patch' "
                             f"or 'patch_to_cls', got {direction!r}")
        query, key, value = self._query_key_value(x)
        if attn_bias is not None:
            attn_bias = attn_bias.to(query.dtype)
        out = self._attend(query, key, value, attn_bias)
        if direction == 'cls_to_patch':
            weights = self._softmax_attention(
                query[:, :, :1], key,
                None if attn_bias is None else attn_bias[..., :1, :])
            return out, weights.squeeze(2)
        return out, self._softmax_attention(query, key, attn_bias)[..., 0]
