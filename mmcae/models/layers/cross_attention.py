"""Multi-head cross-attention with BEiT / CAE bias layout (q and v biases,
no key bias), used by CAE's regressor and the attentive probe."""
import torch
import torch.nn.functional as F
from torch import nn


class CrossAttention(nn.Module):
    """Multi-head attention from queries to separate keys and values, with
    q and v biases (no key bias) as in BEiT / CAE.

    Args:
        embed_dims (int): channels.
        num_heads (int): heads.
        qv_bias (bool): learnable q and v biases. Defaults to True.
        attn_drop (float): attention dropout.
        proj_drop (float): dropout after the output projection.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 qv_bias: bool = True,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.):
        super().__init__()
        self.num_heads = num_heads
        self.q = nn.Linear(embed_dims, embed_dims, bias=False)
        self.k = nn.Linear(embed_dims, embed_dims, bias=False)
        self.v = nn.Linear(embed_dims, embed_dims, bias=False)
        if qv_bias:
            self.q_bias = nn.Parameter(torch.zeros(embed_dims))
            self.v_bias = nn.Parameter(torch.zeros(embed_dims))
        else:
            self.q_bias = self.v_bias = None
        self.attn_drop = attn_drop
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, channels = x.shape
        return x.reshape(batch, length, self.num_heads,
                         channels // self.num_heads).transpose(1, 2)

    def forward(self, query: torch.Tensor, key: torch.Tensor,
                value: torch.Tensor) -> torch.Tensor:
        batch, length, channels = query.shape
        q = self._heads(F.linear(query, self.q.weight, self.q_bias))
        k = self._heads(F.linear(key, self.k.weight))
        v = self._heads(F.linear(value, self.v.weight, self.v_bias))
        out = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop if self.training else 0.)
        out = out.transpose(1, 2).reshape(batch, length, channels)
        return self.proj_drop(self.proj(out))
