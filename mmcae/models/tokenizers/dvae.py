"""The "customized" d-VAE tokenizer of BEiT / CAE.

CAE's non-DALL-E rows (IJCV Table 1 "CAE", Table 8 "d-VAE"; Sec. 3: "the
tokenizer trained with d-VAE on ImageNet ... without using the labels")
use the discrete VAE of BEiT's code base (itself after lucidrains'
DALLE-pytorch), with 8192 tokens, 3 down-sampling layers and hidden width
256. Only its ENCODER produces targets:

    for each of ``num_layers`` layers:
        Conv 4x4 stride 2 (padding 1) + ReLU,
        ResBlock: x + Conv1x1(ReLU(Conv3x3(ReLU(Conv3x3(x)))))
    Conv 1x1 to ``vocab_size`` logits           (8x down: 112 px -> 14x14)

Parameter names follow that code (``encoder.0.0.weight``,
``encoder.1.net.0.weight`` ... ``encoder.6.weight``), so its released
``pytorch_model.bin`` (state dict under ``'weights'``, with the decoder and
codebook, which are ignored) loads as it is, as does a plain ``model`` /
``state_dict`` dict. Inputs: RGB normalized with mean 0.5, std 0.5 (BEiT's
"customized" visual-token transform), i.e. ``second_mean=127.5,
second_std=127.5`` in mmpretrain's ``TwoNormDataPreprocessor``.
"""
from typing import Optional

import torch
from torch import nn

from mmcae.registry import MODELS
from .base import FrozenTokenizer, TokenizerConv2d


class _ResBlock(nn.Module):
    """``x + net(x)``, ``net`` = conv 3x3, ReLU, conv 3x3, ReLU, conv 1x1
    (names ``net.0``, ``net.2``, ``net.4`` as in the released weights)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            TokenizerConv2d(channels, channels, 3), nn.ReLU(),
            TokenizerConv2d(channels, channels, 3), nn.ReLU(),
            TokenizerConv2d(channels, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) + x


@MODELS.register_module()
class DiscreteVAETokenizer(FrozenTokenizer):
    """Encoder of BEiT's customized d-VAE, frozen.

    Args:
        num_layers (int): stride-2 layers (each followed by a residual
            block); tokens are ``2 ** num_layers`` px apart. Defaults to 3.
        hidden_dim (int): width. Defaults to 256 (the released tokenizer).
        vocab_size (int): number of tokens. Defaults to 8192.
        init_cfg (dict, optional): ``dict(type='Pretrained',
            checkpoint=PATH)``; loaded strictly (encoder keys only).
    """

    def __init__(self,
                 num_layers: int = 3,
                 hidden_dim: int = 256,
                 vocab_size: int = 8192,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(vocab_size=vocab_size, init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        layers = []
        in_channels = 3
        for _ in range(num_layers):
            layers.append(
                nn.Sequential(
                    TokenizerConv2d(
                        in_channels, hidden_dim, 4, stride=2, padding=1),
                    nn.ReLU()))
            layers.append(_ResBlock(hidden_dim))
            in_channels = hidden_dim
        layers.append(
            TokenizerConv2d(hidden_dim, vocab_size, 1, half_on_cuda=False))
        self.encoder = nn.Sequential(*layers)

    @property
    def head(self) -> TokenizerConv2d:
        return self.encoder[-1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.encoder[:-1]:
            x = layer(x)
        return x
