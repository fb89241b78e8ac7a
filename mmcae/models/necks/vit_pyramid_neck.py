"""A feature pyramid (strides 4, 8, 16, 32) from a single-scale ViT.

A plain ViT gives every block's output at one stride (16 for 16-pixel
patches), while UPerNet (mmseg) and FPN / Mask R-CNN (mmdet) expect a
pyramid. The dense-task code of BEiT (UperNet on ADE20K, which CAE
follows: CAE paper, Sec. 4 and App. A) and the ViT Mask R-CNN setups used
by MAE and CAE resample four block outputs: 4x = deconv, norm, GELU,
deconv; 2x = deconv; 1x = identity; 0.5x = max-pool 2. ViTDet (Li et al.
2022) instead resamples the LAST block's output alone to every scale.

Why our own: mmseg 1.2.2's ``Feature2Pyramid`` does this resampling but
picks its operations by whether 4 is among the scales rather than by the
order given (only [4, 2, 1, 0.5] and [2, 1, 0.5, 0.25] work), only asserts
the number of inputs, cannot change channels and lives in mmseg's scope;
mmdet 3.3.0 ships no such neck (ViTDet's ``SimpleFPN`` is a project, not
part of the package). This neck serves both frameworks from mmcae's scope.
"""
import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import nn

from mmcae.registry import MODELS

#: norm types that normalize the LAST dimension, wrong for (B, C, H, W)
_CHANNELS_LAST_NORMS = ('LN', 'LayerNorm')


def _num_doublings(scale: float) -> int:
    """log2 of a power-of-two scale (4 -> 2, 1 -> 0, 0.5 -> -1)."""
    if not isinstance(scale, (int, float)) or isinstance(scale, bool) \
            or scale <= 0:
        raise ValueError(f'scales must be positive numbers, got {scale!r}')
    exponent = round(math.log2(scale))
    if 2.0**exponent != scale:
        raise ValueError(
            f'scales must be powers of two (4, 2, 1, 0.5, ...), got {scale}')
    return exponent


@MODELS.register_module()
class ViTPyramidNeck(BaseModule):
    """Resample stride-16 ViT feature maps to a multi-scale pyramid.

    For each level with scale ``s`` (default 4, 2, 1, 0.5 -> strides 4, 8,
    16, 32 from stride 16):

    - ``s > 1``: ``log2(s)`` ``ConvTranspose2d(C, C, 2, 2)`` with norm and
      GELU between them (4x: deconv, norm, GELU, deconv; 2x: deconv), as
      in BEiT / CAE / MAE dense-task fine-tuning;
    - ``s == 1``: identity;
    - ``s < 1``: ``MaxPool2d(1 / s)``;

    then, if ``out_channels`` is set, a 1x1 convolution to
    ``out_channels``.

    Inputs: a tuple with one map per level (BEiT / CAE / MAE: block outputs
    such as ``out_indices=[3, 5, 7, 11]`` for ViT-B), OR a single map (a
    tensor, or a tuple of one) that every level resamples (ViTDet style:
    the last block only). Any other count is an error: silently reusing or
    dropping maps would hide a wrong ``out_indices``.

    Args:
        in_channels (int): channels C of every input map (the ViT's
            ``embed_dims``).
        out_channels (int, optional): channels of the outputs; None keeps
            C (no 1x1 convolutions). Defaults to None.
        scales (Sequence[float]): one power-of-two scale per level.
            Defaults to (4, 2, 1, 0.5).
        norm_cfg (dict, optional): the norm between deconvolutions,
            built with :func:`mmcv.cnn.build_norm_layer`; it must
            normalize the channels of (B, C, H, W) maps ('SyncBN', 'BN',
            'GN', mmpretrain's 'LN2d'), not 'LN'. None (default) means
            ``dict(type='SyncBN', requires_grad=True)`` as in BEiT's code;
            torch's SyncBatchNorm computes plain BatchNorm when no process
            group is initialized (one process, CPU), so no fallback is
            needed; pass 'BN' to make that explicit.
        init_cfg (dict | list[dict], optional): mmengine init config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: Optional[int] = None,
                 scales: Sequence[float] = (4, 2, 1, 0.5),
                 norm_cfg: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=init_cfg)
        if norm_cfg is None:
            norm_cfg = dict(type='SyncBN', requires_grad=True)
        if norm_cfg.get('type') in _CHANNELS_LAST_NORMS:
            raise ValueError(
                f"norm_cfg type {norm_cfg['type']!r} normalizes the last "
                'dimension of (B, C, H, W) maps; use SyncBN, BN, GN or '
                "mmpretrain's LN2d")
        if not scales:
            raise ValueError('scales must name at least one level')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.scales = tuple(scales)
        self.resamplers = nn.ModuleList([
            self._resampler(_num_doublings(scale), in_channels, norm_cfg)
            for scale in self.scales
        ])
        if out_channels is None:
            self.out_convs = None
        else:
            self.out_convs = nn.ModuleList([
                nn.Conv2d(in_channels, out_channels, 1) for _ in self.scales
            ])

    @staticmethod
    def _resampler(doublings: int, channels: int,
                   norm_cfg: dict) -> nn.Module:
        if doublings == 0:
            return nn.Identity()
        if doublings < 0:
            size = 2**(-doublings)
            return nn.MaxPool2d(kernel_size=size, stride=size)
        layers: List[nn.Module] = []
        for index in range(doublings):
            if index > 0:
                layers += [build_norm_layer(norm_cfg, channels)[1], nn.GELU()]
            layers.append(
                nn.ConvTranspose2d(channels, channels, 2, stride=2))
        return nn.Sequential(*layers)

    def forward(self, inputs: Union[torch.Tensor, Sequence[torch.Tensor]]
                ) -> Tuple[torch.Tensor, ...]:
        """Resample the inputs to the pyramid.

        Args:
            inputs (Tensor | Sequence[Tensor]): one (B, C, H, W) map per
                level, or a single map for all levels.

        Returns:
            tuple[Tensor]: one map per level, (B, C_out, H * s, W * s)
            (max-pooling floors odd sizes).
        """
        if isinstance(inputs, torch.Tensor):
            inputs = (inputs, )
        inputs = tuple(inputs)
        num_levels = len(self.scales)
        if len(inputs) == 1:
            inputs = inputs * num_levels
        elif len(inputs) != num_levels:
            raise ValueError(
                f'ViTPyramidNeck has {num_levels} levels (scales '
                f'{self.scales}) and takes {num_levels} feature maps or a '
                f'single one, got {len(inputs)}: check the backbone\'s '
                'out_indices')
        outs = []
        for level, (feat, resampler) in enumerate(
                zip(inputs, self.resamplers)):
            if feat.dim() != 4 or feat.shape[1] != self.in_channels:
                raise ValueError(
                    f'input {level} must be (B, {self.in_channels}, H, W), '
                    f'got {tuple(feat.shape)} (ViT out_type=\'featmap\'?)')
            out = resampler(feat)
            if self.out_convs is not None:
                out = self.out_convs[level](out)
            outs.append(out)
        return tuple(outs)
