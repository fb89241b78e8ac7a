"""DINO (Caron et al., "Emerging Properties in Self-Supervised Vision
Transformers", ICCV 2021) with two global crops and any number of local
crops: the contrastive baselines of Uni-SSL's Table 2 ("DINO, 100 epochs,
2 crops": FT 81.8, linear 68.1; "DINO, 300 epochs, 12 crops": 82.8, 78.2),
and the student / EMA-teacher machinery that :class:`UniSSL` builds on.

mmpretrain 1.2 has no DINO. Per batch (facebookresearch/dino main_dino.py
``train_one_epoch``, lines 316-319, and ``DINOLoss``, lines 363-404):

1. the teacher (an EMA copy of backbone + projection head) moves towards
   the student: ``p_t <- m p_t + (1 - m) p_s`` with m following DINO's
   cosine schedule from ``1 - base_momentum`` (0.996) to 1 over the run
   (mmpretrain's ``CosineEMA``, which reads the run's length from
   mmengine's message hub);
2. the teacher sees the two global crops only, without gradients; the
   student sees every crop. As DINO's ``MultiCropWrapper`` (utils.py lines
   594-629), consecutive crops of one size go through the encoder as one
   batch (local crops are smaller: the ViT resizes its position table to
   their grid), and the projection head runs once on all the features;
3. :class:`~mmcae.models.heads.DINOHead`: each teacher crop's centred and
   sharpened probabilities against the log-probabilities of every OTHER
   student crop, the pairs averaged; the center moves once per step with
   the teacher outputs of the global crops.

The teacher never receives gradients (its parameters have
``requires_grad=False`` and it runs under ``no_grad``); its stochastic
layers (dropout, drop path) stay off, as DINO builds its teacher without
them, while batch norms (a ResNet teacher) use batch statistics like the
student's.
"""
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.logging import MessageHub
from mmpretrain.models import BaseSelfSupervisor
from mmpretrain.models.utils import CosineEMA
from mmpretrain.structures import DataSample
from torch import nn

from mmcae.registry import MODELS


def _is_stochastic(module: nn.Module) -> bool:
    return isinstance(module, nn.modules.dropout._DropoutNd) or \
        type(module).__name__ == 'DropPath'


@MODELS.register_module()
class DINO(BaseSelfSupervisor):
    """DINO with two global crops, optional local crops and an EMA
    teacher.

    Args:
        backbone (dict): the student's encoder; its last output is the
            image feature (e.g. :class:`mmcae.models.ViT` with
            ``out_type='cls_token'``).
        neck (dict): the projection head,
            :class:`~mmcae.models.necks.DINOProjectionHead`.
        head (dict): the loss, :class:`~mmcae.models.heads.DINOHead`
            (``out_channels`` = the neck's).
        base_momentum (float): 1 - the teacher's first EMA momentum, which
            then rises to 1 on a half cosine over the run (DINO: 0.996 ->
            1). Defaults to 0.004.
        freeze_last_layer_epochs (int): epochs during which the head's
            prototypes get no gradient (DINO: 1, "freezing the output layer
            during the first epoch helps training"). Defaults to 1.
        data_preprocessor (dict, optional): e.g.
            ``SelfSupDataPreprocessor`` (a list of views).
        init_cfg (dict, optional): init config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 base_momentum: float = 0.004,
                 freeze_last_layer_epochs: int = 1,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        if not 0. < base_momentum <= 1.:
            raise ValueError(f'base_momentum must be in (0, 1], got '
                             f'{base_momentum}')
        if freeze_last_layer_epochs < 0:
            raise ValueError('freeze_last_layer_epochs must be >= 0, got '
                             f'{freeze_last_layer_epochs}')
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.base_momentum = base_momentum
        self.freeze_last_layer_epochs = freeze_last_layer_epochs
        # the teacher starts as the student: init_weights copies the
        # initialized student into it, and CosineEMA's first update (its
        # step 0) copies again (e.g. after load_from replaced the student)
        self.teacher = CosineEMA(
            nn.Sequential(self.backbone, self.neck), momentum=base_momentum)

    def init_weights(self) -> None:
        """Initialize the student, then copy it into the teacher."""
        super().init_weights()
        self.teacher.module.load_state_dict(
            nn.Sequential(self.backbone, self.neck).state_dict())

    def train(self, mode: bool = True) -> 'DINO':
        """Train mode, with the teacher's dropout and drop path off."""
        super().train(mode)
        for module in self.teacher.modules():
            if _is_stochastic(module):
                module.eval()
        return self

    @property
    def teacher_backbone(self) -> nn.Module:
        return self.teacher.module[0]

    @property
    def teacher_neck(self) -> nn.Module:
        return self.teacher.module[1]

    def update_teacher(self) -> None:
        """One EMA step of the teacher towards the student (the first call
        copies the student)."""
        self.teacher.update_parameters(
            nn.Sequential(self.backbone, self.neck))

    def prototypes_frozen(self) -> bool:
        """Whether this step is in the first ``freeze_last_layer_epochs``
        epochs (read from mmengine's message hub; outside a runner: the
        first epoch)."""
        if self.freeze_last_layer_epochs == 0:
            return False
        epoch = MessageHub.get_current_instance().get_info('epoch', 0)
        return epoch < self.freeze_last_layer_epochs

    def extract_feat(self, inputs: torch.Tensor):
        """The student encoder's features."""
        return self.backbone(inputs)

    def _student_logits(self, features: torch.Tensor) -> torch.Tensor:
        return self.neck(features,
                         freeze_last_layer=self.prototypes_frozen())

    @staticmethod
    def _views(inputs: Union[torch.Tensor, List[torch.Tensor]]
               ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The two views of a two-view pipeline (Uni-SSL)."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                'expected the two views as a list of two (B, C, H, W) '
                'tensors (a two-view pipeline, e.g. OverlappingTwoViewCrop,'
                f' and SelfSupDataPreprocessor), got {type(inputs).__name__}'
                + (f' of {len(inputs)}' if isinstance(inputs,
                                                      (list, tuple)) else ''))
        return inputs[0], inputs[1]

    @staticmethod
    def _crops(inputs: Union[torch.Tensor, List[torch.Tensor]]
               ) -> List[torch.Tensor]:
        """The crops, checked: the two global crops first (one size), then
        any local crops, all of one batch size."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(
                'DINO expects its crops as a list of (B, C, H, W) tensors, '
                'the two global crops first (a multi-view pipeline, e.g. '
                "mmpretrain's MultiView, and SelfSupDataPreprocessor), got "
                f'{type(inputs).__name__}' +
                (f' of {len(inputs)}' if isinstance(inputs,
                                                    (list, tuple)) else ''))
        crops = list(inputs)
        for index, crop in enumerate(crops):
            if crop.dim() != 4 or crop.shape[0] != crops[0].shape[0]:
                raise ValueError(
                    f'crop {index} has shape {tuple(crop.shape)}; every '
                    'crop must be (B, C, H, W) with the batch size of crop '
                    f'0 ({crops[0].shape[0]})')
        if crops[0].shape != crops[1].shape:
            raise ValueError(
                'the first two crops are the global crops the teacher sees '
                f'and must have one size, got {tuple(crops[0].shape)} and '
                f'{tuple(crops[1].shape)}')
        return crops

    def _encode_by_size(self, crops: List[torch.Tensor]) -> torch.Tensor:
        """The student encoder on every crop: each run of consecutive crops
        of one size as one batch (DINO's MultiCropWrapper), the features
        concatenated in crop order."""
        features = []
        start = 0
        while start < len(crops):
            end = start + 1
            while end < len(crops) and \
                    crops[end].shape[-2:] == crops[start].shape[-2:]:
                end += 1
            features.append(self.backbone(torch.cat(crops[start:end]))[-1])
            start = end
        return torch.cat(features)

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """DINO's loss over all (teacher crop, other student crop) pairs.

        Args:
            inputs (list[Tensor]): the crops, each (B, C, H, W): the two
                global crops first, then the local crops (any number, any
                sizes the encoder takes).
            data_samples (list[DataSample]): unused.

        Returns:
            dict: ``loss_dino`` (the mean over the pairs; with two crops,
            over both cross-view pairs).
        """
        crops = self._crops(inputs)
        self.update_teacher()
        batch = crops[0].shape[0]
        with torch.no_grad():
            teacher = self.teacher_neck(
                self.teacher_backbone(torch.cat(crops[:2]))[-1])
        student = self._student_logits(self._encode_by_size(crops))
        return dict(
            loss_dino=self.head.loss_cross_views(
                student.split(batch), teacher.split(batch)))
