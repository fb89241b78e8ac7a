"""Uni-SSL: local contrast between two overlapping views plus a local pixel
loss ("Understanding Masked Autoencoders From a Local Contrastive
Perspective", Sec. 3, Fig. 4, Eq. 8-11). No public code exists; this is
the reference implementation of mmcae.

Per batch (two views x_1, x_2 of each image, drawn by
:class:`~mmcae.datasets.transforms.OverlappingTwoViewCrop`, which keeps
their boxes and flips):

1. the student encodes x_1 and the EMA teacher x_2 into DENSE feature maps
   z_s, z_t (ViT: the patch tokens as a (C, h, w) map; a CNN such as
   ResNet-50: its last stage, no global pooling);
2. K x K points laid uniformly in the region both views show
   (:func:`~mmcae.models.utils.overlap_sampling_grids`) are mapped into
   each view and the features read there with bilinear ``grid_sample``
   (``align_corners=False``: -1 and 1 are the outer edges of the map, so a
   point at fraction u of the view reads the map at fraction u) (Eq. 8);
3. the sampled features through DINO's projection head, student's and
   teacher's (the teacher's is part of the EMA copy); L_sim = DINO's
   centred cross-entropy over the K x K pairs (Eq. 9);
4. L_pixel = MSE between a linear predictor of every student feature and
   the S x S window of x_1 around it (``unfold(x_1, S)``, Eq. 10,
   :class:`~mmcae.models.heads.LocalPixelHead`, configured by this class's
   ``pixel_window`` and ``norm_pix``);
5. loss = L_sim + L_pixel (Eq. 11).

The student / teacher machinery (EMA with DINO's cosine momentum, no
gradient into the teacher, the prototypes frozen in the first epoch) is
:class:`~mmcae.models.selfsup.DINO`'s.
"""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmpretrain.structures import DataSample
from torch import nn

from mmcae.registry import MODELS
from ..heads.local_pixel_head import LocalPixelHead
from ..utils import overlap_sampling_grids
from .dino import DINO


@MODELS.register_module()
class UniSSL(DINO):
    """Uni-SSL pretraining.

    Args:
        backbone (dict): the encoder, giving a dense (B, C, h, w) map as its
            last output: :class:`mmcae.models.ViT` with
            ``out_type='featmap'``, or mmpretrain's ``ResNet`` (its last
            stage, ``out_indices=(3, )``).
        neck (dict): :class:`~mmcae.models.necks.DINOProjectionHead`
            (applied to every sampled point).
        head (dict): :class:`~mmcae.models.heads.DINOHead` (L_sim).
        feature_channels (int): C of the dense map (the pixel predictor's
            input), e.g. 768 for ViT-B, 2048 for ResNet-50.
        num_points (int): K, K x K pairs per image. Defaults to 5 (paper;
            Table 3 sweeps 3..8).
        pixel_window (int): S, the side of the target window in pixels.
            Defaults to 80 (paper; 5 x 5 tokens of 16 px; Table 4: 48, 16).
        pixel_weight (float): weight of L_pixel (Eq. 11: 1). 0 drops the
            term and the predictor (L_sim only).
        norm_pix (bool): normalize each target window by its own mean and
            std (MAE's ``norm_pix``) before the MSE. Defaults to False (Eq.
            10 is a plain MSE on the view's pixels).
        symmetric (bool): also contrast student x_2 with teacher x_1 and
            reconstruct x_2, averaging the two directions (DINO's
            symmetrization; twice the encoder passes). Defaults to False
            (Eq. 11 as printed: L_sim(x_1, x_2) + L_pixel(x_1)).
        in_channels (int): image channels of the pixel target. Defaults
            to 3.
        base_momentum (float): see :class:`DINO`. Defaults to 0.004
            (teacher momentum 0.996 -> 1).
        freeze_last_layer_epochs (int): see :class:`DINO`. Defaults to 1.
        data_preprocessor (dict, optional): ``SelfSupDataPreprocessor``.
        init_cfg (dict, optional): init config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 feature_channels: int,
                 num_points: int = 5,
                 pixel_window: int = 80,
                 pixel_weight: float = 1.,
                 norm_pix: bool = False,
                 symmetric: bool = False,
                 in_channels: int = 3,
                 base_momentum: float = 0.004,
                 freeze_last_layer_epochs: int = 1,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        if num_points < 1:
            raise ValueError(f'num_points must be >= 1, got {num_points}')
        if pixel_window < 1:
            raise ValueError(f'pixel_window must be >= 1, got {pixel_window}')
        if pixel_weight < 0:
            raise ValueError(f'pixel_weight must be >= 0, got {pixel_weight}')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            base_momentum=base_momentum,
            freeze_last_layer_epochs=freeze_last_layer_epochs,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.num_points = num_points
        self.pixel_window = pixel_window
        self.pixel_weight = pixel_weight
        self.norm_pix = norm_pix
        self.symmetric = symmetric
        # not built without L_pixel: DistributedDataParallel wants every
        # parameter in the graph
        self.pixel_predictor = nn.Linear(
            feature_channels, in_channels *
            pixel_window**2) if pixel_weight > 0 else None
        # the loss (no parameters: the predictor above is the network)
        self.pixel_head = LocalPixelHead(pixel_window, norm_pix)

    @staticmethod
    def dense(features, what: str) -> torch.Tensor:
        """The last output of a backbone, checked to be a (B, C, h, w)
        map."""
        dense = features[-1] if isinstance(features, (list, tuple)) \
            else features
        if dense.dim() != 4:
            raise ValueError(
                f'UniSSL needs a dense (B, C, h, w) feature map from the '
                f'{what}, got shape {tuple(dense.shape)}: use mmcae.ViT with '
                "out_type='featmap' or a CNN without global pooling")
        return dense

    def sampling_grids(self, data_samples: List[DataSample],
                       device: torch.device) -> torch.Tensor:
        """(B, 2, K, K, 2) ``grid_sample`` grids of the shared points from
        the samples' ``crop_boxes`` and ``crop_flips``."""
        try:
            boxes = np.stack([s.crop_boxes for s in data_samples])
            flips = np.stack([s.crop_flips for s in data_samples])
        except (AttributeError, KeyError) as error:
            raise ValueError(
                'UniSSL needs crop_boxes and crop_flips in every data sample:'
                " use OverlappingTwoViewCrop and PackInputs(meta_keys=("
                "'crop_boxes', 'crop_flips'))") from error
        return overlap_sampling_grids(
            torch.as_tensor(boxes, device=device),
            torch.as_tensor(flips, device=device), self.num_points)

    @staticmethod
    def sample_points(dense: torch.Tensor,
                      grids: torch.Tensor) -> torch.Tensor:
        """Bilinear features at the grid points: (B, C, h, w), (B, K, K, 2)
        -> (B * K * K, C)."""
        points = F.grid_sample(
            dense, grids.to(dense.dtype), mode='bilinear',
            padding_mode='border', align_corners=False)
        return points.permute(0, 2, 3, 1).flatten(0, 2)

    def pixel_loss(self, dense: torch.Tensor,
                   images: torch.Tensor) -> torch.Tensor:
        """Eq. 10: the linear prediction of every position's S x S window
        against the view (:class:`~mmcae.models.heads.LocalPixelHead`).

        Args:
            dense (Tensor): (B, C, h, w) student features of ``images``.
            images (Tensor): (B, 3, H, W) the view (normalized).
        """
        prediction = self.pixel_predictor(dense.flatten(2).transpose(1, 2))
        return self.pixel_head.loss(prediction, images, dense.shape[-2:])

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """L_sim and L_pixel of a batch of view pairs (the teacher first
        takes its EMA step).

        Args:
            inputs (list[Tensor]): the two views, each (B, C, H, W).
            data_samples (list[DataSample]): with ``crop_boxes`` and
                ``crop_flips``.

        Returns:
            dict: ``loss_sim`` and ``loss_pixel`` (already weighted; not
            there when ``pixel_weight`` is 0).
        """
        views = self._views(inputs)
        grids = self.sampling_grids(data_samples, views[0].device)
        self.update_teacher()
        return self.pair_losses(views, grids)

    def pair_losses(self,
                    views: Sequence[torch.Tensor],
                    grids: torch.Tensor,
                    update_center: bool = True) -> Dict[str, torch.Tensor]:
        """The losses of given views and shared points, with the teacher as
        it is (training calls it after the EMA step; analysis tools compare
        models on fixed pairs with ``update_center=False``).

        Args:
            views (sequence[Tensor]): the two views, each (B, C, H, W).
            grids (Tensor): (B, 2, K, K, 2), :meth:`sampling_grids`.
            update_center (bool): move the DINO center. Defaults to True.

        Returns:
            dict: ``loss_sim`` and (``pixel_weight`` > 0) ``loss_pixel``.
        """
        # (student view, teacher view) pairs
        pairs = [(0, 1), (1, 0)] if self.symmetric else [(0, 1)]
        with torch.no_grad():
            teacher = torch.cat([
                self.teacher_neck(
                    self.sample_points(
                        self.dense(self.teacher_backbone(views[t]),
                                   'teacher'), grids[:, t]))
                for _, t in pairs
            ])
        student_logits, pixel_losses = [], []
        for s, _ in pairs:
            dense = self.dense(self.backbone(views[s]), 'student')
            student_logits.append(
                self._student_logits(
                    self.sample_points(dense, grids[:, s])))
            if self.pixel_weight > 0:
                pixel_losses.append(self.pixel_loss(dense, views[s]))
        losses = dict(
            loss_sim=self.head.loss(
                torch.cat(student_logits), teacher,
                update_center=update_center))
        if pixel_losses:
            losses['loss_pixel'] = self.pixel_weight * torch.stack(
                pixel_losses).mean()
        return losses
