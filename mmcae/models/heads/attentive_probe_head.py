"""The attentive probe of CAE (arXiv 2022 Sec. 4.2 and App. A; IJCV 2023
Sec. 4.2, "Attentive probing").

A frozen encoder gives the representations of all its tokens. One learned
query token cross-attends to them through a single cross-attention unit
with LayerNorms on the query, keys and values; there is NO residual (the
query does not reach the output except through the attention weights) and
NO MLP. The attended feature goes through BatchNorm1d without affine
parameters and a linear classifier::

    q = LN_q(query)              k = LN_k(tokens)      v = LN_v(tokens)
    feature = CrossAttn(q, k, v)[:, 0]       # (B, C)
    logits = Linear(BN(feature, affine=False))

Why our own head: mmpretrain 1.2.0 has no attentive probe, and the one in
the official CAE code raises a TypeError as released (its probing forward
passes ``bool_masked_pos`` and ``rel_pos_bias`` to a block whose forward
takes neither). Keys and values are all the encoder's output tokens, the
[CLS] token included, after the encoder's final LayerNorm, as in the
official code (``use_cls_token=False`` attends to the patches only, as the
papers' wording "the patch representations" could also be read).
"""
from typing import Optional, Sequence, Tuple

import torch
from mmpretrain.models.heads import ClsHead
from torch import nn

from mmcae.registry import MODELS
from ..layers import CrossAttention


@MODELS.register_module()
class AttentiveProbeHead(ClsHead):
    """CAE's attentive probe on top of a frozen ViT's tokens.

    Use it in mmpretrain's ``ImageClassifier`` after an ``mmcae.ViT`` with
    ``out_type='raw'`` (all tokens, (B, N, C)) and ``frozen_stages`` equal
    to its depth::

        head=dict(type='mmcae.AttentiveProbeHead', num_classes=1000,
                  in_channels=768, num_heads=12)

    Args:
        num_classes (int): classes.
        in_channels (int): the encoder's width C.
        num_heads (int): heads of the cross-attention (the encoder's: 12
            for ViT-S/B, 16 for ViT-L in the official code). Defaults to 12.
        use_cls_token (bool): keys / values include the encoder's [CLS]
            token (its first token). Defaults to True.
        qv_bias (bool): q and v biases in the cross-attention (the
            official ``qkv_bias=True`` layout). Defaults to True.
        norm_eps (float): epsilon of the three LayerNorms. Defaults to 1e-6.
        bn_eps (float): epsilon of the BatchNorm. Defaults to 1e-6 (as
            mmpretrain's ``ClsBatchNormNeck`` for the linear probe).
        classifier_std (float): std of the truncated normal init of the
            classifier (0.01, the MAE / mmpretrain linear-probe head).
        loss (dict): classification loss. Defaults to cross-entropy.
        topk (int | tuple[int]): top-k accuracies. Defaults to (1, 5).
        init_cfg (dict, optional): mmengine init config; None uses the
            init of :meth:`init_weights`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_heads: int = 12,
                 use_cls_token: bool = True,
                 qv_bias: bool = True,
                 norm_eps: float = 1e-6,
                 bn_eps: float = 1e-6,
                 classifier_std: float = 0.01,
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 topk: Sequence[int] = (1, 5),
                 init_cfg: Optional[dict] = None,
                 **kwargs):
        super().__init__(loss=loss, topk=topk, init_cfg=init_cfg, **kwargs)
        if num_classes <= 0:
            raise ValueError(f'AttentiveProbeHead: num_classes must be a '
                             f'positive integer, got {num_classes}')
        if in_channels % num_heads != 0:
            raise ValueError(f'AttentiveProbeHead: in_channels '
                             f'{in_channels} is not divisible by num_heads '
                             f'{num_heads}')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.use_cls_token = use_cls_token
        self.classifier_std = classifier_std
        self.query_token = nn.Parameter(torch.zeros(1, 1, in_channels))
        self.norm_q = nn.LayerNorm(in_channels, eps=norm_eps)
        self.norm_k = nn.LayerNorm(in_channels, eps=norm_eps)
        self.norm_v = nn.LayerNorm(in_channels, eps=norm_eps)
        self.cross_attn = CrossAttention(in_channels, num_heads, qv_bias)
        self.bn = nn.BatchNorm1d(in_channels, affine=False, eps=bn_eps)
        self.fc = nn.Linear(in_channels, num_classes)

    def init_weights(self) -> None:
        """Truncated normal (std 0.02) for the query token and the
        attention projections (the official code's init), LayerNorms to
        identity, the classifier with std ``classifier_std`` and zero bias.

        The official code leaves the query token at zero; a zero query
        makes ``LN_q`` output its bias only and the first steps' gradients
        to the token 1/sqrt(eps) large, so it is drawn like the encoder's
        [CLS] token instead.
        """
        if self.init_cfg is not None:
            super().init_weights()
            return
        nn.init.trunc_normal_(self.query_token, std=.02)
        for module in self.cross_attn.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=.02)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        for param in (self.cross_attn.q_bias, self.cross_attn.v_bias):
            if param is not None:
                nn.init.zeros_(param)
        for norm in (self.norm_q, self.norm_k, self.norm_v):
            nn.init.ones_(norm.weight)
            nn.init.zeros_(norm.bias)
        nn.init.trunc_normal_(self.fc.weight, std=self.classifier_std)
        nn.init.zeros_(self.fc.bias)
        self._is_init = True

    def _tokens(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        tokens = feats[-1]
        if tokens.dim() != 3 or tokens.shape[-1] != self.in_channels:
            raise ValueError(
                'AttentiveProbeHead needs all the encoder tokens, (B, N, '
                f'{self.in_channels}): set the backbone\'s out_type=\'raw\' '
                f'(got a tensor of shape {tuple(tokens.shape)})')
        if not self.use_cls_token:
            tokens = tokens[:, 1:]
        return tokens

    def attend(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The cross-attention output of the query token, before the BN.

        Args:
            feats (tuple[Tensor]): backbone outputs; the last is (B, N, C).

        Returns:
            Tensor: (B, C).
        """
        tokens = self._tokens(feats)
        query = self.query_token.expand(tokens.shape[0], -1, -1)
        out = self.cross_attn(
            self.norm_q(query), self.norm_k(tokens), self.norm_v(tokens))
        return out[:, 0]

    def attention_map(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The query's attention over the tokens, averaged over heads (the
        map of CAE's Fig. 7).

        Args:
            feats (tuple[Tensor]): backbone outputs; the last is (B, N, C).

        Returns:
            Tensor: (B, N) weights summing to 1 per image (N excludes the
            [CLS] token when ``use_cls_token`` is False).
        """
        tokens = self._tokens(feats)
        attn = self.cross_attn
        query = self.query_token.expand(tokens.shape[0], -1, -1)
        q = attn._heads(nn.functional.linear(
            self.norm_q(query), attn.q.weight, attn.q_bias))
        k = attn._heads(nn.functional.linear(self.norm_k(tokens),
                                             attn.k.weight))
        scores = q @ k.transpose(-2, -1) * q.shape[-1]**-0.5
        return scores.softmax(dim=-1).mean(dim=1)[:, 0]

    def pre_logits(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The batch-normalized attended feature, (B, C)."""
        return self.bn(self.attend(feats))

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Class scores, (B, num_classes)."""
        return self.fc(self.pre_logits(feats))
