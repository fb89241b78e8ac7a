"""The losses of CAE (Chen et al., arXiv 2022 Sec. 3 / IJCV 2023 Sec. 3):
reconstruction of the masked patches' targets plus lambda times the
alignment of the predicted latents with the encoder's latents of the masked
patches.

Why not mmpretrain's ``CAEHead`` / ``CAELoss``: they only know token
targets; CAE also trains on normalized pixels (IJCV Table 8), which this
head takes as MSE targets.
"""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmcae.registry import MODELS

TARGET_TYPES = ('tokens', 'pixels')


@MODELS.register_module()
class CAEHead(BaseModule):
    """Reconstruction (cross entropy on token ids, or MSE on pixels) and
    weighted alignment (MSE) losses.

    Args:
        target (str): 'tokens' (cross entropy on the tokenizer's ids) or
            'pixels' (MSE on the pixel targets). Defaults to 'tokens'.
        align_weight (float): lambda of the alignment loss (2 in the
            papers). Defaults to 2.
    """

    def __init__(self, target: str = 'tokens',
                 align_weight: float = 2.) -> None:
        super().__init__()
        if target not in TARGET_TYPES:
            raise ValueError(f'target must be one of {TARGET_TYPES}, got '
                             f'{target!r}')
        self.target = target
        self.align_weight = align_weight

    def loss(self,
             prediction: torch.Tensor,
             target: torch.Tensor,
             latent_pred: Optional[torch.Tensor] = None,
             latent_target: Optional[torch.Tensor] = None
             ) -> Dict[str, torch.Tensor]:
        """The losses of the masked patches.

        Args:
            prediction (Tensor): the decoder's output for every masked
                patch, (B * Nm, vocab) logits or (B * Nm, p * p * C) pixels.
            target (Tensor): (B * Nm, ) token ids or (B * Nm, p * p * C)
                pixel targets.
            latent_pred (Tensor, optional): (B, Nm, C) the regressor's
                latents of the masked patches.
            latent_target (Tensor, optional): (B, Nm, C) the encoder's
                latents of the masked patches; with ``latent_pred``, the
                alignment loss is added.

        Returns:
            dict: ``loss_main`` and, given the latents, ``loss_align``
            (already times ``align_weight``).
        """
        if self.target == 'tokens':
            losses = dict(loss_main=F.cross_entropy(prediction, target))
        else:
            losses = dict(loss_main=F.mse_loss(prediction, target))
        if latent_pred is not None and latent_target is not None:
            losses['loss_align'] = self.align_weight * F.mse_loss(
                latent_pred, latent_target)
        return losses
