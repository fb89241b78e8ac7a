"""Uni-SSL's local pixel loss L_pixel ("Understanding Masked Autoencoders
From a Local Contrastive Perspective", Eq. 10): the prediction at every
position of the student's dense feature map against the S x S window of
the view around that position
(:func:`~mmcae.models.utils.local_patch_targets`).

Why not mmpretrain's ``MAEPretrainHead``: its targets are the
non-overlapping patches under a mask; here every position has a target,
the windows overlap (S is larger than the stride) and those at the border
reach past the view, where the padding is left out of the mean.
"""
from typing import Tuple

import torch
from mmengine.model import BaseModule

from mmcae.registry import MODELS
from ..utils import local_patch_targets


@MODELS.register_module()
class LocalPixelHead(BaseModule):
    """MSE between per-position pixel predictions and their S x S windows,
    over the window entries inside the view.

    Args:
        pixel_window (int): S, the side of the target window in pixels.
        norm_pix (bool): normalize each target window by the mean and std
            of its entries inside the view (MAE's ``norm_pix``) before the
            MSE. Defaults to False (Eq. 10 is a plain MSE).
    """

    def __init__(self, pixel_window: int, norm_pix: bool = False) -> None:
        super().__init__()
        if pixel_window < 1:
            raise ValueError(f'pixel_window must be >= 1, got {pixel_window}')
        self.pixel_window = pixel_window
        self.norm_pix = norm_pix

    def loss(self, prediction: torch.Tensor, images: torch.Tensor,
             feature_size: Tuple[int, int]) -> torch.Tensor:
        """L_pixel of one view.

        Args:
            prediction (Tensor): (B, h * w, C * S * S), the prediction at
                every position of the (h, w) feature map, each row ordered
                (channel, row, column) as ``F.unfold``.
            images (Tensor): (B, C, H, W) the view (normalized).
            feature_size (tuple[int, int]): (h, w).

        Returns:
            Tensor: the mean squared error over the entries inside the
            view.
        """
        targets, inside = local_patch_targets(images, feature_size,
                                              self.pixel_window)
        if self.norm_pix:
            count = inside.sum(-1, keepdim=True)
            mean = (targets * inside).sum(-1, keepdim=True) / count
            var = (((targets - mean) * inside)**2).sum(
                -1, keepdim=True) / count
            targets = (targets - mean) / (var + 1e-6).sqrt()
        error = (prediction.float() - targets.float())**2 * inside
        return error.sum() / (inside.sum() * images.shape[0])
