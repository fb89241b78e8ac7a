"""DINO's projection head (Caron et al., ICCV 2021, Sec. 3.1 and App.),
used by Uni-SSL on every sampled point feature ("The projection head used
in Uni-SSL has the same setting as DINO").

mmpretrain 1.2 has no DINO head; this is the head of the DINO recipe: an
MLP (Linear-GELU x (num_layers - 1), then Linear to a bottleneck),
L2-normalization, and a weight-normalized linear layer without bias to
``out_channels`` prototypes whose norm is fixed to 1 (``norm_last_layer``)
or learned.
"""
from typing import List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmcae.registry import MODELS


class WeightNormLinear(nn.Module):
    """``x @ (g * v / ||v||).T`` per output row, no bias (torch's
    ``weight_norm`` written out: its parametrization API changed across
    torch versions, and a fixed ``g = 1`` is a plain row normalization).

    Args:
        in_channels (int): input width.
        out_channels (int): output width.
        learn_scale (bool): learn ``g`` (init 1); False keeps every row at
            unit norm.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 learn_scale: bool = False) -> None:
        super().__init__()
        self.weight_v = nn.Parameter(torch.empty(out_channels, in_channels))
        # only the rows' directions matter (they are normalized): Gaussian
        # rows give directions uniform on the sphere. DINO's rows start as
        # torch's Linear default, uniform in a cube (vision_transformer.py
        # DINOHead, lines 274-277), which tilts the directions slightly
        # towards the cube's corners.
        nn.init.trunc_normal_(self.weight_v, std=.02)
        self.weight_g = nn.Parameter(torch.ones(out_channels, 1),
                                     requires_grad=learn_scale)

    @property
    def weight(self) -> torch.Tensor:
        return self.weight_g * F.normalize(self.weight_v, dim=1)

    def forward(self, x: torch.Tensor, frozen: bool = False) -> torch.Tensor:
        """``frozen``: the weights get a zero gradient (DINO's first epoch).

        DINO drops the prototypes' gradient after the backward pass; here
        the weights stay in the graph with a zero gradient (``w.detach() +
        0 * w``), so that DistributedDataParallel finds every parameter
        used without ``find_unused_parameters``. The output does not
        change; an optimizer's weight decay still shrinks ``weight_v``,
        which the row normalization cancels.
        """
        weight = self.weight
        if frozen:
            weight = weight.detach() + 0. * weight
        return F.linear(x, weight)


@MODELS.register_module()
class DINOProjectionHead(BaseModule):
    """MLP -> L2-normalize -> weight-normalized prototypes.

    Args:
        in_channels (int): feature width (e.g. 768 for ViT-B).
        hidden_channels (int): MLP width. Defaults to 2048 (DINO).
        bottleneck_channels (int): Defaults to 256 (DINO).
        out_channels (int): prototypes. Defaults to 65536 (DINO).
        num_layers (int): linear layers of the MLP. Defaults to 3.
        norm_last_layer (bool): fix the prototypes' norm to 1. Defaults to
            True (DINO's default for ViT-B).
        init_cfg (dict, optional): init config; default: truncated normal
            (std 0.02) linear weights, zero biases, as DINO.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int = 2048,
                 bottleneck_channels: int = 256,
                 out_channels: int = 65536,
                 num_layers: int = 3,
                 norm_last_layer: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = dict(
                     type='TruncNormal', layer='Linear', std=.02,
                     bias=0.)) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_layers < 1:
            raise ValueError(f'num_layers must be >= 1, got {num_layers}')
        layers: List[nn.Module] = []
        width = in_channels
        for _ in range(num_layers - 1):
            layers += [nn.Linear(width, hidden_channels), nn.GELU()]
            width = hidden_channels
        layers.append(nn.Linear(width, bottleneck_channels))
        self.mlp = nn.Sequential(*layers)
        self.last_layer = WeightNormLinear(
            bottleneck_channels, out_channels,
            learn_scale=not norm_last_layer)

    def forward(self,
                x: Union[torch.Tensor, Tuple[torch.Tensor]],
                freeze_last_layer: bool = False) -> torch.Tensor:
        """(..., in_channels) -> (..., out_channels) logits.

        Args:
            x (Tensor | tuple[Tensor]): features (a tuple's first item).
            freeze_last_layer (bool): the prototypes get no gradient (the
                MLP still does). Defaults to False.
        """
        if isinstance(x, (tuple, list)):
            x = x[0]
        x = F.normalize(self.mlp(x), dim=-1)
        return self.last_layer(x, frozen=freeze_last_layer)
