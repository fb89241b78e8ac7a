"""What every frozen tokenizer (target generator) shares.

A discrete tokenizer for masked image modeling is a convolutional trunk
followed by a 1x1 convolution (the "head") to the vocabulary; the target
of a patch is the argmax of its logits. :class:`FrozenTokenizer` runs such
a network the way CAE needs it, which is cheaper than running the module
as released (mmpretrain's ``DALL-E`` port or BEiT's d-VAE):

- frozen: parameters never require grad and the module stays in eval mode;
  it runs under ``torch.inference_mode``;
- the head only where targets are needed: CAE reads the tokens of the
  MASKED patches, so :meth:`FrozenTokenizer.tokenize` applies the head (for
  DALL-E a 2048 x 8192 matrix per position, ~13 % of its multiply-adds)
  at those positions only;
- on CPU, the trunk runs on oneDNN (``mkldnn``) tensors with the weights
  reordered once into oneDNN's blocked layout, instead of reordering every
  weight on every call as eager ``conv2d`` does (~25-30 % less time for
  the DALL-E encoder on 112-px views, same numbers);
- on CUDA, the trunk runs in float16 as OpenAI's DALL-E code does (the
  head stays float32).

Loading: :meth:`FrozenTokenizer.init_weights` loads an
``init_cfg=dict(type='Pretrained', checkpoint=...)`` with the
``mmcae.StrictPretrained`` initializer of :mod:`mmcae.checkpoint`, which
unwraps the usual containers and REQUIRES every parameter to be found:
mmengine's ``Pretrained`` init loads with ``strict=False``, so a mistyped
file would leave random targets that still train.
"""
import os.path as osp
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule, initialize
from torch import nn

#: prefixes a tokenizer's keys carry in the file of a model that wraps it
#: (DDP, a CAE model's ``target_generator``, BEiT-style ``tokenizer``)
WRAPPER_PREFIXES = ('module.', 'target_generator.', 'tokenizer.')


class TokenizerConv2d(nn.Module):
    """A frozen ``Conv2d`` whose parameter names are chosen by a subclass
    (OpenAI's ``w``/``b`` or torch's ``weight``/``bias``) and that also
    runs on oneDNN tensors with a cached, pre-reordered weight.

    Args:
        in_channels (int): input channels.
        out_channels (int): output channels.
        kernel_size (int): square kernel size.
        stride (int): stride. Defaults to 1.
        padding (int, optional): padding; None = ``(kernel_size - 1) // 2``.
        half_on_cuda (bool): on CUDA, compute in float16. Defaults to True.
    """
    weight_name = 'weight'
    bias_name = 'bias'

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 padding: Optional[int] = None,
                 half_on_cuda: bool = True) -> None:
        super().__init__()
        weight = torch.empty(out_channels, in_channels, kernel_size,
                             kernel_size)
        # OpenAI's DALL-E init (its weights are always loaded in practice)
        nn.init.normal_(weight, std=(in_channels * kernel_size**2)**-0.5)
        self.register_parameter(self.weight_name,
                                nn.Parameter(weight, requires_grad=False))
        self.register_parameter(
            self.bias_name,
            nn.Parameter(torch.zeros(out_channels), requires_grad=False))
        self.stride = stride
        self.padding = (kernel_size - 1) // 2 if padding is None else padding
        self.half_on_cuda = half_on_cuda
        self._packed: Optional[Tuple] = None

    @property
    def conv_weight(self) -> torch.Tensor:
        return getattr(self, self.weight_name)

    @property
    def conv_bias(self) -> torch.Tensor:
        return getattr(self, self.bias_name)

    def _mkldnn_params(self,
                       scale: float = 1.) -> Tuple[torch.Tensor, torch.Tensor]:
        """The weight (times ``scale``) reordered for oneDNN, rebuilt when a
        parameter was changed in place (loading, ``copy_``) or replaced."""
        weight, bias = self.conv_weight, self.conv_bias
        key = (weight.data_ptr(), weight._version, bias.data_ptr(),
               bias._version, scale)
        if self._packed is None or self._packed[0] != key:
            padding, stride = [self.padding] * 2, [self.stride] * 2
            packed = torch._C._nn.mkldnn_reorder_conv2d_weight(
                (weight.detach().float() * scale).to_mkldnn(), padding,
                stride, [1, 1], 1)
            self._packed = (key, packed,
                            (bias.detach().float() * scale).to_mkldnn())
        return self._packed[1], self._packed[2]

    def forward(self, x: torch.Tensor, scale: float = 1.) -> torch.Tensor:
        """Convolve ``x``; the output times ``scale``.

        On oneDNN tensors the scale is folded into the cached weights
        (one pass less); elsewhere the output is multiplied by it.
        """
        if x.is_mkldnn:
            weight, bias = self._mkldnn_params(scale)
            return torch.mkldnn_convolution(x, weight, bias,
                                            [self.padding] * 2,
                                            [self.stride] * 2, [1, 1], 1)
        weight, bias = self.conv_weight, self.conv_bias
        if x.is_cuda and self.half_on_cuda:
            x, weight, bias = x.half(), weight.half(), bias.half()
        else:
            x = x.float()
        out = F.conv2d(x, weight, bias, self.stride, self.padding)
        return out if scale == 1. else out * scale

    def extra_repr(self) -> str:
        out_channels, in_channels, kernel, _ = self.conv_weight.shape
        return (f'{in_channels}, {out_channels}, kernel_size={kernel}, '
                f'stride={self.stride}, padding={self.padding}')


class FrozenTokenizer(BaseModule):
    """Base class: a frozen trunk + 1x1 head to ``vocab_size`` logits.

    Subclasses build ``self`` and implement :meth:`features` (the trunk's
    output before the head, (B, C, h, w)) and :attr:`head`.

    Args:
        vocab_size (int): number of tokens.
        init_cfg (dict, optional): ``dict(type='Pretrained',
            checkpoint=PATH)`` to load weights (strictly); other types are
            left to mmengine.
    """

    def __init__(self, vocab_size: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.vocab_size = vocab_size

    # --- to implement -------------------------------------------------
    @property
    def head(self) -> TokenizerConv2d:
        """The final 1x1 convolution to the vocabulary."""
        raise NotImplementedError

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The trunk: (B, 3, H, W) -> (B, C, h, w), the head's input."""
        raise NotImplementedError

    # --- shared -------------------------------------------------------
    def train(self, mode: bool = True) -> 'FrozenTokenizer':
        """Always eval: the tokenizer is frozen."""
        return super().train(False)

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f'{type(self).__name__} expects (B, 3, H, W) '
                             f'images, got shape {tuple(x.shape)}')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, vocab_size, h, w), float32, eager (no oneDNN path):
        the reference computation, as the released module gives it."""
        self._check_input(x)
        return self.head(self.features(x)).float()

    def tokenize(self,
                 x: torch.Tensor,
                 mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Token ids, computed as cheaply as possible.

        Args:
            x (Tensor): (B, 3, H, W) images, already mapped to the
                tokenizer's input range.
            mask (Tensor, optional): (B, h * w) bool, True where a token is
                wanted (CAE: the masked patches).

        Returns:
            Tensor: int64 ids, (B, h * w) without a mask, else the ids at
            the True positions, flattened in row-major (image, position)
            order, i.e. ``ids[mask]``. Equal to ``forward(x).argmax(1)``
            up to float rounding of near-ties.
        """
        self._check_input(x)
        with torch.inference_mode():
            use_mkldnn = (x.device.type == 'cpu'
                          and torch.backends.mkldnn.is_available()
                          and x.dtype == torch.float32)
            if use_mkldnn:
                feats = self.features(x.contiguous().to_mkldnn()).to_dense()
            else:
                feats = self.features(x)
            batch, channels, height, width = feats.shape
            feats = feats.float().flatten(2).transpose(1, 2)  # (B, hw, C)
            if mask is not None:
                if mask.shape != (batch, height * width):
                    raise ValueError(
                        f'mask of shape {tuple(mask.shape)} does not match '
                        f'the {height} x {width} token grid of a batch of '
                        f'{batch}')
                feats = feats[mask.to(device=feats.device, dtype=torch.bool)]
            weight = self.head.conv_weight.flatten(1).float()
            logits = F.linear(feats, weight, self.head.conv_bias.float())
            tokens = logits.argmax(dim=-1)
        # a clone made outside inference mode may enter autograd graphs
        return tokens.clone()

    # --- loading ------------------------------------------------------
    def load_pretrained(self, path: str) -> None:
        """Load ``path`` strictly: every parameter must be found with its
        shape; keys the tokenizer does not use (e.g. a d-VAE's decoder)
        are ignored.

        Raises:
            FileNotFoundError: no file at ``path``.
            CheckpointMismatchError: keys missing or of another shape (a
                :class:`~mmcae.checkpoint.CheckpointFormatError`); the
                message names the file and the keys.
        """
        if '://' not in path and not osp.isfile(osp.expanduser(path)):
            raise FileNotFoundError(
                f"{type(self).__name__} weights '{path}' not found: "
                'tokenizers are never downloaded at run time; put the file '
                'there or set model.target_generator.init_cfg.checkpoint')
        initialize(
            self,
            dict(
                type='mmcae.StrictPretrained',
                checkpoint=path,
                target=f'{type(self).__name__}(vocab_size={self.vocab_size})',
                wrapper_prefixes=WRAPPER_PREFIXES))

    def init_weights(self) -> None:
        cfg = self.init_cfg
        if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
            self.load_pretrained(cfg['checkpoint'])
            self._is_init = True
            return
        super().init_weights()

