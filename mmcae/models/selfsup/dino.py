"""DINO with two global crops (Caron et al., "Emerging Properties in
Self-Supervised Vision Transformers", ICCV 2021), the contrastive baseline
of Uni-SSL's Table 2 ("DINO, 100 epochs, 2 crops": FT 81.8, linear 68.1),
and the student / EMA-teacher machinery that :class:`UniSSL` builds on.

mmpretrain 1.2 has no DINO. Per batch:

1. the teacher (an EMA copy of backbone + projection head) moves towards
   the student: ``p_t <- m p_t + (1 - m) p_s`` with m following DINO's
   cosine schedule from ``1 - base_momentum`` (0.996) to 1 over the run
   (mmpretrain's ``CosineEMA``, which reads the run's length from
   mmengine's message hub);
2. both views through the student and, without gradients, through the
   teacher; each student output is matched to the teacher output of the
   OTHER view (DINO's cross-view pairs; with two crops there are two);
3. :class:`~mmcae.models.heads.DINOHead`: centred and sharpened teacher
   probabilities against the student's log-probabilities; the center
   moves once per step with all the teacher outputs.

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
    """DINO with two views and an EMA teacher.

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
            ``SelfSupDataPreprocessor`` (two views).
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
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                'expected the two views as a list of two (B, C, H, W) '
                'tensors (a two-view pipeline, e.g. OverlappingTwoViewCrop,'
                f' and SelfSupDataPreprocessor), got {type(inputs).__name__}'
                + (f' of {len(inputs)}' if isinstance(inputs,
                                                      (list, tuple)) else ''))
        return inputs[0], inputs[1]

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """DINO's cross-view loss of the two views.

        Args:
            inputs (list[Tensor]): the two views, each (B, C, H, W).
            data_samples (list[DataSample]): unused.

        Returns:
            dict: ``loss_dino`` (the mean over both cross-view pairs).
        """
        view_1, view_2 = self._views(inputs)
        self.update_teacher()
        batch = view_1.shape[0]
        both = torch.cat([view_1, view_2])
        with torch.no_grad():
            teacher = self.teacher_neck(self.teacher_backbone(both)[-1])
        student = self._student_logits(self.backbone(both)[-1])
        # student view 1 <-> teacher view 2 and student view 2 <-> teacher
        # view 1
        teacher = torch.cat([teacher[batch:], teacher[:batch]])
        return dict(loss_dino=self.head.loss(student, teacher))
