"""OpenAI's DALL-E encoder as CAE's tokenizer.

:class:`DALLEEncoder` (``type='mmcae.DALLEEncoder'``) is OpenAI's encoder
architecture with OpenAI's parameter names (``blocks.input.w``,
``blocks.group_1.block_1.res_path.conv_1.w`` ...; mmpretrain's ``DALL-E``
port keeps the same names), so a plain state dict with those names, from
OpenAI's file or from mmpretrain / mmselfsup, loads into either. It is our
own module rather than mmpretrain's because CAE needs it as a frozen
tokenizer only, which :class:`~.base.FrozenTokenizer` runs faster (head
on the masked positions only, pre-reordered oneDNN weights on CPU) with
the same outputs. OpenAI released the encoder as a pickled module
(``encoder.pkl``); :func:`mmcae.checkpoint.load_openai_dalle_encoder` (and
``tools/model_converters/convert_dalle_encoder.py``) turns it into a plain
state dict with these names.

CAE uses the tokenizer frozen, on a 112-px view mapped to ``0.8 * x / 255
+ 0.1`` (CAE Sec. 3; mmpretrain's ``TwoNormDataPreprocessor`` with
``second_mean=-31.875``, ``second_std=318.75``); the targets are the argmax
over the 8192 logits of each of the 14 x 14 positions.
"""
from collections import OrderedDict
from typing import Optional

import torch
from torch import nn

from mmcae.registry import MODELS
from .base import FrozenTokenizer, TokenizerConv2d


class OpenAIConv2d(TokenizerConv2d):
    """A DALL-E convolution: parameters named ``w`` and ``b``."""
    weight_name = 'w'
    bias_name = 'b'


class DALLEEncoderBlock(nn.Module):
    """OpenAI's encoder block: ``id_path(x) + post_gain * res_path(x)``;
    ``res_path`` = (ReLU, conv 3x3) x 3, ReLU, conv 1x1 with a bottleneck
    of ``out_channels // 4``; ``id_path`` = identity or a 1x1 conv when
    the width changes; ``post_gain = 1 / num_layers ** 2``.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 num_layers: int) -> None:
        super().__init__()
        hidden = out_channels // 4
        self.post_gain = 1. / num_layers**2
        self.id_path = (
            OpenAIConv2d(in_channels, out_channels, 1)
            if in_channels != out_channels else nn.Identity())
        self.res_path = nn.Sequential(
            OrderedDict([
                ('relu_1', nn.ReLU()),
                ('conv_1', OpenAIConv2d(in_channels, hidden, 3)),
                ('relu_2', nn.ReLU()),
                ('conv_2', OpenAIConv2d(hidden, hidden, 3)),
                ('relu_3', nn.ReLU()),
                ('conv_3', OpenAIConv2d(hidden, hidden, 3)),
                ('relu_4', nn.ReLU()),
                ('conv_4', OpenAIConv2d(hidden, out_channels, 1)),
            ]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not x.is_mkldnn:  # the reference computation
            return self.id_path(x) + self.res_path(x) * self.post_gain
        # oneDNN inference: in-place ReLUs and sum, post_gain folded into
        # conv_4's cached weights (the same numbers up to float rounding)
        res = self.res_path
        out = res.conv_1(torch.relu(x)).relu_()  # x feeds id_path too
        out = res.conv_2(out).relu_()
        out = res.conv_3(out).relu_()
        out = res.conv_4(out, scale=self.post_gain)
        return out.add_(self.id_path(x))


@MODELS.register_module()
class DALLEEncoder(FrozenTokenizer):
    """OpenAI's DALL-E dVAE encoder (Ramesh et al. 2021), frozen.

    ``blocks``: input conv 7x7 to ``n_hid``; four groups of
    ``n_blk_per_group`` blocks at widths ``n_hid`` x (1, 2, 4, 8), max-pool
    2 after each of the first three (8x downsampling: a 112-px view gives
    14 x 14 tokens); output ReLU + conv 1x1 to ``vocab_size`` logits.
    Inputs are RGB in [0, 1] mapped to ``0.8 * x + 0.1``.

    Args:
        n_hid (int): width of the first group. Defaults to 256.
        n_blk_per_group (int): blocks per group. Defaults to 2.
        vocab_size (int): number of tokens. Defaults to 8192.
        group_count (int): number of groups. Defaults to 4.
        init_cfg (dict, optional): ``dict(type='Pretrained',
            checkpoint=PATH)``: a state dict with OpenAI's names (plain or
            under 'state_dict' / 'model'), loaded strictly.
    """

    def __init__(self,
                 n_hid: int = 256,
                 n_blk_per_group: int = 2,
                 vocab_size: int = 8192,
                 group_count: int = 4,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(vocab_size=vocab_size, init_cfg=init_cfg)
        num_layers = group_count * n_blk_per_group
        layers = [('input', OpenAIConv2d(3, n_hid, 7))]
        width = n_hid
        for group in range(group_count):
            group_width = n_hid * 2**group
            blocks = []
            for index in range(n_blk_per_group):
                blocks.append((f'block_{index + 1}',
                               DALLEEncoderBlock(width, group_width,
                                                 num_layers)))
                width = group_width
            if group < group_count - 1:
                blocks.append(('pool', nn.MaxPool2d(kernel_size=2)))
            layers.append((f'group_{group + 1}',
                           nn.Sequential(OrderedDict(blocks))))
        layers.append(('output',
                       nn.Sequential(
                           OrderedDict([
                               ('relu', nn.ReLU()),
                               ('conv',
                                OpenAIConv2d(
                                    width, vocab_size, 1,
                                    half_on_cuda=False)),
                           ]))))
        self.blocks = nn.Sequential(OrderedDict(layers))

    @property
    def head(self) -> TokenizerConv2d:
        return self.blocks.output.conv

    def features(self, x: torch.Tensor) -> torch.Tensor:
        for name, layer in self.blocks.named_children():
            if name == 'output':
                return layer.relu(x)
            x = layer(x)
        raise AssertionError('unreachable: blocks end with output')

