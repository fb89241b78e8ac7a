"""DINO's cross-entropy with teacher centering and sharpening (Caron et
al., ICCV 2021, Eq. 1 and Sec. 3.1 "Avoiding collapse"), as Uni-SSL uses it
between the student's and the teacher's features at the same image points
(Eq. 9): loss = - softmax((t - c) / T_t) . log_softmax(s / T_s), averaged
over the pairs; after each step the center c moves to the teacher
outputs' batch mean (over all processes) with momentum 0.9.

:meth:`DINOHead.loss_cross_views` is DINO's multi-crop loss
(facebookresearch/dino main_dino.py ``DINOLoss.forward``, lines 380-404):
every (teacher view i, student view v) pair with v != i, each averaged over
the batch, then averaged over the pairs.

mmpretrain 1.2 has no DINO (its ``projects/dino`` keeps the same loss in a
``DINOHead`` too); this head holds the center as a buffer (saved in
checkpoints, the same on every process). The projection MLP and the
prototypes are the neck, :class:`~mmcae.models.necks.DINOProjectionHead`.
"""
import torch
import torch.distributed as torch_dist
import torch.nn.functional as F
from typing import Sequence

from mmengine.model import BaseModule

from mmcae.registry import MODELS


@MODELS.register_module()
class DINOHead(BaseModule):
    """The loss of DINO and of Uni-SSL's L_sim.

    Args:
        out_channels (int): logits width (the head's prototypes).
        student_temperature (float): Defaults to 0.1 (Uni-SSL, DINO).
        teacher_temperature (float): Defaults to 0.04 (Uni-SSL).
        center_momentum (float): Defaults to 0.9 (Uni-SSL, DINO).
    """

    def __init__(self,
                 out_channels: int,
                 student_temperature: float = 0.1,
                 teacher_temperature: float = 0.04,
                 center_momentum: float = 0.9) -> None:
        super().__init__()
        if student_temperature <= 0 or teacher_temperature <= 0:
            raise ValueError('temperatures must be > 0')
        if not 0. <= center_momentum < 1.:
            raise ValueError(f'center_momentum must be in [0, 1), got '
                             f'{center_momentum}')
        self.student_temperature = student_temperature
        self.teacher_temperature = teacher_temperature
        self.center_momentum = center_momentum
        self.register_buffer('center', torch.zeros(1, out_channels))

    def loss(self, student: torch.Tensor, teacher: torch.Tensor,
             update_center: bool = True) -> torch.Tensor:
        """The loss of matching pairs, then (in training) the center update.

        Args:
            student (Tensor): (N, C) student logits (the pairs flattened).
            teacher (Tensor): (N, C) teacher logits of the same points
                (no gradient flows into them).
            update_center (bool): move the center (after computing the
                loss, as DINO). Defaults to True.

        Returns:
            Tensor: the mean cross entropy.
        """
        if student.shape != teacher.shape or student.dim() != 2:
            raise ValueError('DINOHead wants two (N, C) tensors of one shape, '
                             f'got {tuple(student.shape)} and '
                             f'{tuple(teacher.shape)}')
        teacher = teacher.detach()
        targets = F.softmax(
            (teacher - self.center) / self.teacher_temperature, dim=-1)
        log_probs = F.log_softmax(student / self.student_temperature, dim=-1)
        loss = -(targets * log_probs).sum(dim=-1).mean()
        if update_center:
            self.update_center(teacher)
        return loss

    def loss_cross_views(self,
                         student: Sequence[torch.Tensor],
                         teacher: Sequence[torch.Tensor],
                         update_center: bool = True) -> torch.Tensor:
        """DINO's multi-crop loss, then (in training) the center update.

        Student view i and teacher view i are the same crop for every
        teacher view (DINO: the two global crops come first); those pairs
        are skipped, every other (teacher i, student v) pair counts once.

        Args:
            student (Sequence[Tensor]): per view, (B, C) student logits.
            teacher (Sequence[Tensor]): per teacher view, (B, C) teacher
                logits (no gradient flows into them).
            update_center (bool): move the center with all the teacher
                rows (after computing the loss, as DINO). Defaults to True.

        Returns:
            Tensor: the mean over the pairs of the batch-mean cross
            entropy.
        """
        if not teacher or len(student) < 2 or len(teacher) > len(student):
            raise ValueError(
                'loss_cross_views needs at least 2 student views and 1 to '
                f'{len(student)} teacher views (the first student views), '
                f'got {len(student)} student and {len(teacher)} teacher '
                'views')
        shape = tuple(student[0].shape)
        for kind, views in (('student', student), ('teacher', teacher)):
            for index, view in enumerate(views):
                if view.dim() != 2 or tuple(view.shape) != shape:
                    raise ValueError(
                        f'every view must be (B, C) = {shape}; {kind} view '
                        f'{index} is {tuple(view.shape)}')
        targets = [
            F.softmax((t.detach() - self.center) / self.teacher_temperature,
                      dim=-1) for t in teacher
        ]
        log_probs = [
            F.log_softmax(s / self.student_temperature, dim=-1)
            for s in student
        ]
        total = 0.
        pairs = 0
        for i, target in enumerate(targets):
            for v, log_prob in enumerate(log_probs):
                if v == i:
                    continue
                total = total - (target * log_prob).sum(dim=-1).mean()
                pairs += 1
        if update_center:
            self.update_center(torch.cat([t.detach() for t in teacher]))
        return total / pairs

    @torch.no_grad()
    def update_center(self, teacher: torch.Tensor) -> None:
        """c <- m c + (1 - m) mean(teacher), the mean over every process's
        rows."""
        total = teacher.float().sum(dim=0, keepdim=True)
        count = torch.tensor([float(teacher.shape[0])],
                             device=teacher.device)
        if torch_dist.is_available() and torch_dist.is_initialized():
            torch_dist.all_reduce(total)
            torch_dist.all_reduce(count)
        mean = total / count
        self.center.mul_(self.center_momentum).add_(
            mean.to(self.center.dtype), alpha=1 - self.center_momentum)
