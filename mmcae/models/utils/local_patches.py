"""The pixel target of Uni-SSL's reconstruction term (Eq. 10):
``unfold(x_1, S)``, the S x S window of the view around every feature-map
position.

The paper gives the window size only ("S = 80 ... correspond to window
sizes of 5, 3, and 1 on the feature map" for 16-px tokens), so the window
of a position is centred on the image patch the position covers: stride =
the feature map's stride (16 for ViT-B/16), zero padding (S - stride) / 2
on each side, which makes ``unfold``'s l-th window the S x S square with
the same centre as the l-th token. Windows that reach past the view's
border hold padding there; :func:`local_patch_targets` returns which
entries are inside the image so that the loss can leave the padding out
(predicting the padding value would only teach the position of the
border).
"""
from typing import Tuple

import torch
import torch.nn.functional as F


def local_patch_geometry(image_size: Tuple[int, int],
                         feature_size: Tuple[int, int],
                         window: int) -> Tuple[int, int]:
    """Stride and padding of the windows centred on the feature positions.

    Args:
        image_size (tuple): (H, W) of the view.
        feature_size (tuple): (h, w) of the dense feature map.
        window (int): S.

    Returns:
        tuple: (stride, padding).

    Raises:
        ValueError: a feature map that does not tile the image with one
            integer stride, or a window that cannot be centred on it.
    """
    (height, width), (rows, cols) = image_size, feature_size
    if height % rows or width % cols or height // rows != width // cols:
        raise ValueError(
            f'the feature map {rows}x{cols} does not tile the {height}x'
            f'{width} view with one integer stride')
    stride = height // rows
    if window < stride or (window - stride) % 2:
        raise ValueError(
            f'a window of S={window} px cannot be centred on the {stride}-px'
            ' cells of the feature map (S must be >= the stride and S - '
            'stride even, e.g. 80, 48 or 16 for 16-px tokens)')
    return stride, (window - stride) // 2


def local_patch_targets(images: torch.Tensor, feature_size: Tuple[int, int],
                        window: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """The S x S window around every feature position, flattened.

    Args:
        images (Tensor): (B, C, H, W) views.
        feature_size (tuple): (h, w) of the feature map.
        window (int): S.

    Returns:
        tuple: targets (B, h * w, C * S * S), each row ordered (channel,
        row, column) as ``F.unfold``; and a float mask (1, h * w, C * S * S)
        of the entries inside the image (1) vs padding (0).
    """
    stride, padding = local_patch_geometry(images.shape[-2:], feature_size,
                                           window)
    targets = F.unfold(images, window, padding=padding, stride=stride)
    inside = F.unfold(
        images.new_ones(1, images.shape[1], *images.shape[-2:]),
        window,
        padding=padding,
        stride=stride)
    return targets.transpose(1, 2), inside.transpose(1, 2)
