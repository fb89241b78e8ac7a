"""Where points of the region two views share fall in each view (Uni-SSL
Eq. 8: K x K points laid uniformly in the overlap, mapped into each view,
features taken with ``grid_sample``)."""
import torch


def overlap_sampling_grids(boxes: torch.Tensor, flips: torch.Tensor,
                           num_points: int) -> torch.Tensor:
    """``grid_sample`` grids of K x K points in each pair's overlap.

    The points are the centres of a K x K partition of the intersection of
    the two crop boxes (so no point lies on its border). A point at image
    coordinate x lies at u = (x - x1) / (x2 - x1) of a view cropped to
    [x1, x2), at 1 - u if the view was mirrored; ``grid_sample`` with
    ``align_corners=False`` reads -1 and 1 as the outer edges of the
    feature map, so the grid value is 2u - 1 whatever the map's size: one
    grid serves the view itself and any feature map that tiles it (16-px
    ViT tokens, a CNN's stride-32 map).

    Args:
        boxes (Tensor): (B, 2, 4) crop boxes (x1, y1, x2, y2) of the two
            views in the original image (``OverlappingTwoViewCrop``'s
            ``crop_boxes``).
        flips (Tensor): (B, 2) bool, whether each view was mirrored.
        num_points (int): K.

    Returns:
        Tensor: (B, 2, K, K, 2) grids (x, y in [-1, 1]) for view 0 and view
        1; ``grid_sample(features, grids[:, v], align_corners=False)``
        gives (B, C, K, K) features at the same image points.

    Raises:
        ValueError: a pair of boxes that does not overlap.
    """
    boxes = boxes.float()
    left = torch.maximum(boxes[:, 0, 0], boxes[:, 1, 0])
    top = torch.maximum(boxes[:, 0, 1], boxes[:, 1, 1])
    right = torch.minimum(boxes[:, 0, 2], boxes[:, 1, 2])
    bottom = torch.minimum(boxes[:, 0, 3], boxes[:, 1, 3])
    if bool(((right <= left) | (bottom <= top)).any()):
        raise ValueError('overlap_sampling_grids: a pair of crops does not '
                         'overlap')
    steps = (torch.arange(num_points, device=boxes.device,
                          dtype=boxes.dtype) + 0.5) / num_points
    xs = left[:, None] + steps[None] * (right - left)[:, None]  # (B, K)
    ys = top[:, None] + steps[None] * (bottom - top)[:, None]
    grids = []
    for view in range(2):
        x1, y1, x2, y2 = boxes[:, view].unbind(-1)
        u = (xs - x1[:, None]) / (x2 - x1)[:, None]
        v = (ys - y1[:, None]) / (y2 - y1)[:, None]
        u = torch.where(flips[:, view, None].bool(), 1 - u, u)
        grid_x = (2 * u - 1)[:, None, :].expand(-1, num_points, -1)
        grid_y = (2 * v - 1)[:, :, None].expand(-1, -1, num_points)
        grids.append(torch.stack([grid_x, grid_y], dim=-1))
    return torch.stack(grids, dim=1)
