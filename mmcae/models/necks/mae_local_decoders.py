"""MAE decoders with a local receptive field only (Uni-SSL, "Understanding
Masked Autoencoders From a Local Contrastive Perspective", Sec. 2.2,
"Decoder can be seen as a local feature learner", Table 1).

The paper replaces the transformer blocks of MAE's decoder by an operation
that only sees a ~5 x 5 neighbourhood of patches and keeps MAE's fine-tuning
accuracy (Table 1, ViT-B/16, 100 epochs: Transformer 82.9, Weighted Average
82.5, Conv Layer 82.9). Both necks below are drop-in replacements for
mmpretrain's ``MAEPretrainDecoder`` inside mmpretrain's ``MAE``: same
``forward(x, ids_restore)`` and the same output, ``(B, L, patch_size ** 2 *
in_chans)`` pixels per patch (no [CLS] row). Their common pipeline is::

    Linear(embed_dim -> decoder_embed_dim) on the visible tokens
    -> append the (learned) mask token, unshuffle with ids_restore
    -> + fixed 2-D sin-cos positions (mmpretrain's helper, with [CLS])
    -> drop [CLS], reshape to the (h, w) patch grid
    -> local operator                       (what the two necks differ in)
    -> LayerNorm -> Linear(decoder_embed_dim -> patch_size ** 2 * in_chans)

- :class:`MAEGaussianDecoder` ("Weighted Average"): a fixed, normalized 2-D
  Gaussian weighted average, sigma 1, 5 x 5 taps, the same for every
  channel, then "a single-layer MLP", read here as the final Linear.
- :class:`MAEConvDecoder` ("Conv Layer"): one learned ``Conv2d(D, D, 5,
  padding=2)``; MAE's pixel Linear stays as the predictor.
"""
import math
from typing import List, Optional, Union

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmpretrain.models.utils import build_2d_sincos_position_embedding
from torch import nn

from mmcae.registry import MODELS


def gaussian_kernel_2d(kernel_size: int = 5,
                       sigma: float = 1.0) -> torch.Tensor:
    """A normalized 2-D Gaussian, ``exp(-(dy^2 + dx^2) / (2 sigma^2))``
    over the ``kernel_size x kernel_size`` taps around the centre, divided
    by its sum.

    Args:
        kernel_size (int): taps per side, odd and positive. Defaults to 5.
        sigma (float): standard deviation in patches, positive. Defaults to
            1.0.

    Returns:
        Tensor: ``(kernel_size, kernel_size)`` float32 weights summing to 1.
    """
    if (not isinstance(kernel_size, int) or isinstance(kernel_size, bool)
            or kernel_size < 1 or kernel_size % 2 == 0):
        raise ValueError('kernel_size must be a positive odd int, got '
                         f'{kernel_size!r}')
    if not isinstance(sigma, (int, float)) or isinstance(sigma, bool) or \
            not math.isfinite(sigma) or sigma <= 0:
        raise ValueError(f'sigma must be a positive number, got {sigma!r}')
    offsets = torch.arange(kernel_size, dtype=torch.float64) - kernel_size // 2
    squared = offsets[:, None]**2 + offsets[None, :]**2
    kernel = torch.exp(-squared / (2 * float(sigma)**2))
    return (kernel / kernel.sum()).float()


class MAELocalDecoder(BaseModule):
    """MAE's decoder with its transformer blocks replaced by a local
    operator on the patch grid (the pipeline of the module docstring).

    Subclasses define :meth:`local_op`, ``(B, D, h, w) -> (B, D, h, w)``.
    The parameter names shared with ``MAEPretrainDecoder``
    (``decoder_embed``, ``mask_token``, ``decoder_pos_embed``, ``ln1``
    alias ``decoder_norm``, ``decoder_pred``) are kept.

    Args:
        num_patches (int): patches of the image, a perfect square (196 for
            ViT-B/16 at 224 px). Defaults to 196.
        patch_size (int): patch side in pixels. Defaults to 16.
        in_chans (int): image channels. Defaults to 3.
        embed_dim (int): encoder width. Defaults to 1024 (as
            ``MAEPretrainDecoder``).
        decoder_embed_dim (int): decoder width. Defaults to 512.
        norm_cfg (dict): the norm before the predictor. Defaults to
            ``dict(type='LN', eps=1e-6)`` (MAE's).
        init_cfg (dict | list[dict], optional): init config. Defaults to
            None (inside ``MAE`` its Xavier / LayerNorm init applies).
    """

    def __init__(self,
                 num_patches: int = 196,
                 patch_size: int = 16,
                 in_chans: int = 3,
                 embed_dim: int = 1024,
                 decoder_embed_dim: int = 512,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('num_patches', num_patches),
                            ('patch_size', patch_size),
                            ('in_chans', in_chans), ('embed_dim', embed_dim),
                            ('decoder_embed_dim', decoder_embed_dim)):
            if not isinstance(value, int) or isinstance(value, bool) or \
                    value < 1:
                raise ValueError(
                    f'{name} must be a positive int, got {value!r}')
        grid = math.isqrt(num_patches)
        if grid * grid != num_patches:
            raise ValueError('num_patches must be a perfect square (a '
                             f'square patch grid), got {num_patches}')
        self.num_patches = num_patches
        self.grid_size = grid
        self.patch_size = patch_size
        self.in_chans = in_chans
        self.embed_dim = embed_dim
        self.decoder_embed_dim = decoder_embed_dim

        self.decoder_embed = nn.Linear(embed_dim, decoder_embed_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_embed_dim))
        # fixed, as MAE's: a parameter without gradient (the state-dict key
        # and the optimizer's 'pos_embed' no-decay rule of MAEPretrainDecoder)
        self.decoder_pos_embed = nn.Parameter(
            build_2d_sincos_position_embedding(
                grid, decoder_embed_dim, cls_token=True).float(),
            requires_grad=False)
        # registered as ``ln1`` like MAEPretrainDecoder's norm: same
        # state-dict key, and mmpretrain's MAE optimizer rule 'ln' (no weight
        # decay) matches it
        self.ln1_name, norm = build_norm_layer(
            norm_cfg, decoder_embed_dim, postfix=1)
        self.add_module(self.ln1_name, norm)
        self.decoder_pred = nn.Linear(decoder_embed_dim,
                                      patch_size**2 * in_chans)

    @property
    def decoder_norm(self) -> nn.Module:
        """The norm before the predictor."""
        return getattr(self, self.ln1_name)

    def init_weights(self) -> None:
        """``init_cfg`` first, then MAE's: sin-cos positions, mask token
        ~ N(0, 0.02)."""
        super().init_weights()
        self.decoder_pos_embed.data.copy_(
            build_2d_sincos_position_embedding(
                self.grid_size, self.decoder_embed_dim,
                cls_token=True).float())
        nn.init.normal_(self.mask_token, std=.02)

    def local_op(self, x: torch.Tensor) -> torch.Tensor:
        """The local operator on the patch grid.

        Args:
            x (Tensor): ``(B, decoder_embed_dim, h, w)``.

        Returns:
            Tensor: same shape.
        """
        raise NotImplementedError(
            f'{type(self).__name__} must define local_op')

    def _check_inputs(self, x: torch.Tensor,
                      ids_restore: torch.Tensor) -> None:
        if x.dim() != 3 or x.shape[-1] != self.embed_dim:
            raise ValueError(
                'x must be (B, 1 + visible patches, embed_dim='
                f'{self.embed_dim}), got shape {tuple(x.shape)}')
        if ids_restore.dim() != 2 or \
                ids_restore.shape != (x.shape[0], self.num_patches):
            raise ValueError(
                f'ids_restore must be (B={x.shape[0]}, num_patches='
                f'{self.num_patches}), got shape {tuple(ids_restore.shape)}')
        if x.shape[1] > self.num_patches + 1:
            raise ValueError(
                f'x has {x.shape[1] - 1} patch tokens (after [CLS]), more '
                f'than num_patches={self.num_patches}')

    def forward(self, x: torch.Tensor,
                ids_restore: torch.Tensor) -> torch.Tensor:
        """Predict the pixels of every patch.

        Args:
            x (Tensor): encoder output, ``(B, 1 + N_visible, embed_dim)``,
                [CLS] first (mmpretrain ``MAEViT``'s first output).
            ids_restore (Tensor): ``(B, num_patches)`` indices that put the
                shuffled ``[visible, masked]`` sequence back in raster
                order (``MAEViT``'s third output).

        Returns:
            Tensor: ``(B, num_patches, patch_size ** 2 * in_chans)``.
        """
        self._check_inputs(x, ids_restore)
        x = self.decoder_embed(x)
        batch, _, dims = x.shape
        num_masked = self.num_patches + 1 - x.shape[1]
        mask_tokens = self.mask_token.expand(batch, num_masked, dims)
        patches = torch.cat([x[:, 1:, :], mask_tokens], dim=1)
        patches = torch.gather(
            patches, dim=1,
            index=ids_restore.unsqueeze(-1).expand(-1, -1, dims))
        x = torch.cat([x[:, :1, :], patches], dim=1) + self.decoder_pos_embed
        # [CLS] has no place on the grid: the local operator never sees it
        patches = x[:, 1:, :]
        grid = patches.transpose(1, 2).reshape(batch, dims, self.grid_size,
                                               self.grid_size)
        grid = self.local_op(grid)
        patches = grid.flatten(2).transpose(1, 2)
        return self.decoder_pred(self.decoder_norm(patches))


@MODELS.register_module()
class MAEGaussianDecoder(MAELocalDecoder):
    """MAE decoder "Weighted Average" (Table 1: FT 82.5 with ViT-B/16,
    100 epochs): a fixed Gaussian average of each token's neighbourhood.

    The weights are not learned: a normalized 2-D Gaussian with ``sigma``
    patches and ``kernel_size x kernel_size`` taps ("sigma = 1 and the size
    of the receptive field is about 5 x 5"), the same for every channel.
    At the borders the taps that fall outside the grid are dropped and the
    remaining weights renormalized to sum to 1, so every output is a true
    weighted average of in-image tokens (zero padding would instead pull
    the border tokens towards 0, i.e. shrink their norm). The paper's "a
    single-layer MLP to reconstruct the masked patches" is read as MAE's
    LayerNorm + one Linear to the pixels (no hidden layer): the only
    learned parameters are the embedding, the mask token, the norm and
    the predictor.

    Args:
        sigma (float): Gaussian standard deviation in patches. Defaults to
            1.0.
        kernel_size (int): taps per side, odd. Defaults to 5.
        **kwargs: the arguments of :class:`MAELocalDecoder`.
    """

    def __init__(self, sigma: float = 1.0, kernel_size: int = 5,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.sigma = sigma
        self.kernel_size = kernel_size
        # derived from (sigma, kernel_size): a buffer outside the state dict
        self.register_buffer(
            'kernel', gaussian_kernel_2d(kernel_size, sigma), persistent=False)

    def _average(self, x: torch.Tensor) -> torch.Tensor:
        """Depthwise, zero-padded sum of the kernel-weighted taps."""
        channels = x.shape[1]
        weight = self.kernel.to(x.dtype).expand(channels, 1,
                                                self.kernel_size,
                                                self.kernel_size)
        return F.conv2d(x, weight, padding=self.kernel_size // 2,
                        groups=channels)

    def border_weights(self, height: int, width: int,
                       dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """The kernel mass inside the ``height x width`` grid at every
        position (1 in the interior, less near the borders).

        Returns:
            Tensor: ``(1, 1, height, width)``.
        """
        ones = torch.ones(1, 1, height, width, dtype=dtype,
                          device=self.kernel.device)
        return self._average(ones)

    def local_op(self, x: torch.Tensor) -> torch.Tensor:
        """Gaussian-weighted average over the in-grid taps.

        Args:
            x (Tensor): ``(B, D, h, w)``.

        Returns:
            Tensor: ``(B, D, h, w)``.
        """
        mass = self.border_weights(x.shape[2], x.shape[3], x.dtype)
        return self._average(x) / mass


@MODELS.register_module()
class MAEConvDecoder(MAELocalDecoder):
    """MAE decoder "Conv Layer" (Table 1: FT 82.9 with ViT-B/16, 100
    epochs): one learned ``Conv2d(decoder_embed_dim, decoder_embed_dim,
    kernel_size, padding=kernel_size // 2)`` (zero padding, with bias) on
    the patch grid, the paper's "convolutional layer with a kernel size of
    5" in place of the 8 transformer blocks.

    MAE's LayerNorm + pixel Linear stay as the predictor after it (the
    paper names only the conv layer; something must still map the
    ``decoder_embed_dim`` features to ``patch_size ** 2 * in_chans``
    pixels). No activation between the conv and the norm. The conv keeps
    PyTorch's default init (MAE's Xavier ``init_cfg`` names Linear only).

    Args:
        kernel_size (int): conv kernel side, odd. Defaults to 5.
        **kwargs: the arguments of :class:`MAELocalDecoder`.
    """

    def __init__(self, kernel_size: int = 5, **kwargs) -> None:
        super().__init__(**kwargs)
        if (not isinstance(kernel_size, int) or isinstance(kernel_size, bool)
                or kernel_size < 1 or kernel_size % 2 == 0):
            raise ValueError('kernel_size must be a positive odd int, got '
                             f'{kernel_size!r}')
        self.kernel_size = kernel_size
        self.decoder_conv = nn.Conv2d(
            self.decoder_embed_dim,
            self.decoder_embed_dim,
            kernel_size,
            padding=kernel_size // 2)

    def local_op(self, x: torch.Tensor) -> torch.Tensor:
        """One learned ``kernel_size x kernel_size`` convolution.

        Args:
            x (Tensor): ``(B, D, h, w)``.

        Returns:
            Tensor: ``(B, D, h, w)``.
        """
        return self.decoder_conv(x)
