"""CAE's latent contextual regressor and decoder (CAE, Sec. 3.1-3.2).

Regressor: queries are one learned mask token per masked patch; each block
cross-attends from the queries to [visible latents, current queries], with
position embeddings added to queries and keys but not values, separate
LayerNorms for q, k and v, the residual then a LayerNorm (post-norm), then
an MLP residual; a final LayerNorm. The visible latents are never updated
(``regressor_type='self_attention'``, an IJCV variant, updates them too).
Its output (the predicted latents of the masked patches) is what the
alignment loss compares with the encoder's own latents of those patches.

Decoder: self-attention blocks over the masked tokens only (predicted latent
+ position), LayerNorm, then a linear layer to the target vocabulary
(DALL-E / d-VAE tokens) or to the patch pixels.

Drop path and initialization follow the official code (Atten4Vis/CAE, commit
a7fd162): the regressor and the decoder each get the encoder's drop-path
rate, spaced linearly over their own blocks
(``models/modeling_cae_helper.py`` lines 320 and 386,
``torch.linspace(0, drop_path_rate, depth)``); every Linear is
Xavier-uniform with a zero bias and the mask token truncated normal (std
0.02, cut at +-std), because ``ContextAutoencoderViT._init_weights`` is
applied to the whole model last (``models/modeling_cae.py`` lines 70-71,
85-86, 105-112).
"""
from typing import Optional, Tuple

import torch
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from torch import nn

from mmcae.registry import MODELS
from ..layers import CrossAttention, Mlp, TransformerBlock
from ..layers.transformer_block import layer_scale

#: ``CAENeck(regressor_type=...)`` values
REGRESSOR_TYPES = ('cross_attention', 'self_attention')


class RegressorBlock(nn.Module):
    """One block of CAE's latent contextual regressor.

    ``x = q + DropPath(gamma_1 * CrossAttn(LN_q(q + pos_q), LN_k(kv +
    pos_k), LN_v(kv)))``; ``x = LN(x)``; ``x = x + DropPath(gamma_2 *
    MLP(x))``.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 mlp_hidden_dims: int,
                 layer_scale_init_value: float = 0.,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_eps: float = 1e-6):
        super().__init__()
        self.norm_q = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.norm_k = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.norm_v = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.cross_attn = CrossAttention(embed_dims, num_heads, True,
                                         attn_drop_rate, drop_rate)
        self.norm2 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.mlp = Mlp(embed_dims, mlp_hidden_dims, drop_rate)
        self.drop_path = DropPath(
            drop_path_rate) if drop_path_rate > 0 else nn.Identity()
        self.gamma_1 = layer_scale(embed_dims, layer_scale_init_value)
        self.gamma_2 = layer_scale(embed_dims, layer_scale_init_value)

    def forward(self, query: torch.Tensor, key_value: torch.Tensor,
                pos_query: torch.Tensor,
                pos_key: torch.Tensor) -> torch.Tensor:
        out = self.cross_attn(
            self.norm_q(query + pos_query), self.norm_k(key_value + pos_key),
            self.norm_v(key_value))
        if self.gamma_1 is not None:
            out = self.gamma_1 * out
        x = self.norm2(query + self.drop_path(out))
        out = self.mlp(x)
        if self.gamma_2 is not None:
            out = self.gamma_2 * out
        return x + self.drop_path(out)


@MODELS.register_module()
class CAENeck(BaseModule):
    """CAE's regressor and decoder.

    Args:
        embed_dims (int): width of the regressor and decoder; the encoder's
            width (the alignment loss compares latents of both).
        num_heads (int): attention heads of the regressor and decoder (the
            official ``--decoder_num_heads``, 12 by default, also for
            ViT-S / ViT-T; 16 in the ViT-L script).
        regressor_depth (int): regressor blocks (4 in the papers).
        decoder_depth (int): decoder blocks (4 in the papers; 0 = only the
            linear head, the "no decoder" ablation).
        out_channels (int): outputs per masked patch: 8192 for DALL-E
            tokens, ``patch_size**2 * 3`` for pixels.
        mlp_ratio (float): MLP width ratio. Defaults to 4.
        layer_scale_init_value (float): layer scale init, 0 = none.
        drop_rate, attn_drop_rate (float): dropout.
        drop_path_rate (float): the largest stochastic-depth rate, reached
            by the last regressor block and by the last decoder block: the
            official code passes the encoder's rate and spaces it linearly
            over each part's own blocks, so configs set the encoder's value.
        norm_eps (float): LayerNorm epsilon.
        regressor_type (str): 'cross_attention' (the papers' regressor:
            only the mask queries are updated, the visible latents are
            keys / values) or 'self_attention' (IJCV, "Experiments", first
            paragraph: "self-attention over masked tokens and encoded
            visible patch representations is a choice but with slightly
            higher computation cost and a little lower performance"): the
            same blocks with the visible latents among the queries, so both
            are updated in every block (as the MAE decoder, arXiv Fig. 8);
            the regressor's output is the masked part. Both have the same
            parameters.
        init_cfg (dict, optional): an mmengine init config; None = the
            official CAE initialization (:meth:`init_weights`).
    """

    def __init__(self,
                 embed_dims: int = 768,
                 num_heads: int = 12,
                 regressor_depth: int = 4,
                 decoder_depth: int = 4,
                 out_channels: int = 8192,
                 mlp_ratio: float = 4.,
                 layer_scale_init_value: float = 0.1,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_eps: float = 1e-6,
                 regressor_type: str = 'cross_attention',
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if regressor_type not in REGRESSOR_TYPES:
            raise ValueError(
                f'CAENeck: regressor_type must be one of {REGRESSOR_TYPES}, '
                f'got {regressor_type!r}; set model.neck.regressor_type to '
                "'cross_attention' (the papers' regressor) or "
                "'self_attention' (the IJCV variant)")
        if embed_dims % num_heads:
            raise ValueError(
                f'CAENeck: embed_dims ({embed_dims}) must be a multiple of '
                f'num_heads ({num_heads}); set model.neck.num_heads to a '
                'divisor of the encoder width')
        self.regressor_type = regressor_type
        hidden = int(embed_dims * mlp_ratio)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        rates = torch.linspace(0, drop_path_rate, regressor_depth).tolist()
        self.regressors = nn.ModuleList([
            RegressorBlock(embed_dims, num_heads, hidden,
                           layer_scale_init_value, drop_rate, attn_drop_rate,
                           rates[i], norm_eps) for i in range(regressor_depth)
        ])
        self.norm_regressor = nn.LayerNorm(embed_dims, eps=norm_eps)
        rates = torch.linspace(0, drop_path_rate, decoder_depth).tolist()
        self.decoders = nn.ModuleList([
            TransformerBlock(
                embed_dims,
                num_heads,
                hidden,
                qkv_bias='qv',
                layer_scale_init_value=layer_scale_init_value,
                drop_rate=drop_rate,
                attn_drop_rate=attn_drop_rate,
                drop_path_rate=rates[i],
                norm_eps=norm_eps) for i in range(decoder_depth)
        ])
        self.norm_decoder = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.head = nn.Linear(embed_dims, out_channels)

    def init_weights(self) -> None:
        """The official CAE initialization (``models/modeling_cae.py``
        lines 105-112, applied to the whole model after every part's own
        init, so it has the last word): Xavier-uniform for every Linear
        (the prediction head included), zero biases, identity LayerNorms;
        the mask token truncated normal with std 0.02 cut at +-0.02 (the
        official ``trunc_normal_`` wrapper passes ``a=-std, b=std``, lines
        12-13 and 70-71). An ``init_cfg`` replaces all of this."""
        if self.init_cfg is not None:
            super().init_weights()
            return
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        nn.init.trunc_normal_(self.mask_token, std=.02, a=-.02, b=.02)

    def _regress(self, visible: torch.Tensor, pos_visible: torch.Tensor,
                 pos_masked: torch.Tensor) -> torch.Tensor:
        """The regressor's (un-normalized) latents of the masked patches."""
        queries = self.mask_token.expand(pos_masked.shape[0],
                                         pos_masked.shape[1], -1)
        pos_all = torch.cat([pos_visible, pos_masked], dim=1)
        if self.regressor_type == 'self_attention':
            tokens = torch.cat([visible, queries], dim=1)
            for block in self.regressors:
                tokens = block(tokens, tokens, pos_all, pos_all)
            return tokens[:, visible.shape[1]:]
        for block in self.regressors:
            queries = block(queries, torch.cat([visible, queries], dim=1),
                            pos_masked, pos_all)
        return queries

    def forward(self, visible: torch.Tensor, pos_visible: torch.Tensor,
                pos_masked: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Predict the masked patches' latents, then their targets.

        Args:
            visible (Tensor): encoder latents of the visible patches,
                without [CLS]: (B, Nv, C).
            pos_visible (Tensor): their position embeddings (B, Nv, C).
            pos_masked (Tensor): the masked patches' position embeddings
                (B, Nm, C).

        Returns:
            tuple[Tensor, Tensor]: (predictions (B, Nm, out_channels),
            predicted latents (B, Nm, C)).
        """
        latent_pred = self.norm_regressor(
            self._regress(visible, pos_visible, pos_masked))
        return self.decode(latent_pred, pos_masked), latent_pred

    def decode(self, latents: torch.Tensor,
               positions: torch.Tensor) -> torch.Tensor:
        """The decoder alone: self-attention blocks over ``latents +
        positions``, LayerNorm, the prediction head.

        :meth:`forward` decodes the regressor's predicted latents of the
        masked patches; CAE's full-image reconstruction (arXiv Fig. 4 and
        App. E Fig. 9, IJCV Fig. 4) decodes the encoder's latents of ALL
        patches with the regressor skipped
        (:func:`mmcae.analysis.full_reconstruction`).

        Args:
            latents (Tensor): (B, N, C) latents of the patches to decode.
            positions (Tensor): their position embeddings (B, N, C).

        Returns:
            Tensor: (B, N, out_channels) predictions.
        """
        x = latents + positions
        for block in self.decoders:
            x = block(x)
        return self.head(self.norm_decoder(x))
