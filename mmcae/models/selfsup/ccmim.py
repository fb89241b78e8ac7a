"""ccMIM: contrasting-aided contextual masked image modeling (Zhang et
al., "Contextual Image Masking Modeling via Synergized Contrasting without
View Augmentation for Faster and Better Visual Pretraining", ICLR 2023),
as an mmpretrain self-supervisor.

Per batch (Sec. 3.2, Fig. 1; the official code github.com/Sherrylone/ccMIM
at fdc9096, ``models_ccmim.py`` ``AttnMaskedAutoencoderViT``):

1. the importance of every patch: the whole image through the current
   encoder without gradients, the head-averaged attention of the [CLS]
   query over the patch keys, summed over the blocks
   (:meth:`mmcae.models.ViT.cls_attention`; Sec. 3.2's q_0 K^T and the
   official ``basic_module.py`` ``avg_attn[:, 0, 1:]`` since commit
   7350304, see ``attention_direction``);
2. the patches divided by importance sampling: the most important ~75 %
   are MASKED (they hold the context), the rest stay visible
   (:class:`~mmcae.models.utils.ContextualPatchDivider`; Table 5's other
   strategies are options);
3. the encoder over [CLS] + the visible set (with gradient) and over
   [CLS] + the masked set (the same [CLS] token and weights; stop-gradient:
   the masked set is the teacher, Fig. 1), each with its patches'
   positions;
4. both [CLS] outputs through the projector (Linear-BN-ReLU-Linear-BN
   without affine; official ``forward_alignment_loss`` since commit
   ddd68ad), then InfoNCE visible -> masked (Eq. 7, :class:`InfoNCEHead`)
   or the SimSiam-style alignment 1 - cos(SG(h_M), p(h_V)) (Eq. 8,
   mmpretrain's ``LatentPredictHead``);
5. MAE's decoder over [CLS] + the visible latents + mask tokens, MSE on
   the masked patches' normalized pixels (Eq. 9).

Loss = L_rec + lambda * L_align (Eq. 10): lambda 0.2 in the paper (App. C)
and in the official code until commit 265273e, 0.1 since
(``engine_pretrain.py``: ``loss = l_align * 0.1 + l_rec``).

The masked branch runs under ``no_grad``: its output only enters the loss
through the stop-gradient (the official code gathers it with a no-grad
all-gather), so this gives the same gradients as a graph that is cut
afterwards, without keeping its activations. The projector sees the
visible [CLS] first, then the masked one, as the official code, so a
BatchNorm's running statistics are updated in the same order.

Initialization is the official one (MAE's ``initialize_weights``) when the
config says so in each part: ``backbone=dict(init_scheme='mae')`` and an
``init_cfg`` with Xavier-uniform Linear layers on the decoder and the
projector (``configs/_base_/models/ccmim_vit-base-p16.py``). A model-level
``init_cfg`` that initializes layers is refused: mmengine initializes the
children after the parent, so the ViT's own ``init_weights`` would
overwrite it without a word.
"""
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmpretrain.models import BaseSelfSupervisor
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.structures import DataSample

from mmcae.registry import MODELS
from ..utils import ContextualPatchDivider


def _check_init_cfg(init_cfg: Optional[Union[List[dict], dict]]) -> None:
    """Refuse model-level layer initializers (module docstring)."""
    cfgs = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    for cfg in cfgs:
        if cfg is not None and cfg.get('type') != 'Pretrained':
            raise ValueError(
                f'CcMIM init_cfg {dict(cfg)!r} initializes layers of the '
                'whole model, but mmengine initializes the children after '
                "the parent, so the ViT's own init_weights overwrites it. "
                "Set backbone=dict(init_scheme='mae') (the official ccMIM / "
                'MAE init) and give the neck and the projector their own '
                "init_cfg, e.g. [dict(type='Xavier', layer='Linear', "
                "distribution='uniform')]; a model-level init_cfg may only "
                "be dict(type='Pretrained', checkpoint=...).")


@MODELS.register_module()
class CcMIM(BaseSelfSupervisor):
    """ccMIM pretraining.

    Args:
        backbone (dict): the encoder, an :class:`mmcae.models.ViT` with a
            [CLS] token, ``out_type='raw'`` and a final norm.
        neck (dict): the pixel decoder, mmpretrain's
            ``MAEPretrainDecoder`` (input: [CLS] + visible latents).
        head (dict): the reconstruction loss, mmpretrain's
            ``MAEPretrainHead`` (MSE on the masked patches; ``norm_pix``).
        projector (dict, optional): maps both [CLS] outputs into the
            contrastive space, e.g. mmpretrain's ``NonLinearNeck`` with
            ``with_avg_pool=False`` (the official code's projector:
            Linear(D, D)-BN-ReLU-Linear(D, 256)-BN without affine, a plain
            per-process ``BatchNorm1d``, i.e. ``norm_cfg=dict(type='BN1d')``;
            ``SyncBN`` is the other choice). None uses the [CLS] outputs
            directly (the official code before commit ddd68ad).
        align_head (dict, optional): the contrastive loss, with a
            ``loss(input, target)`` method: :class:`InfoNCEHead` (L_NCE,
            the default of the paper) or ``LatentPredictHead`` with a
            predictor and ``CosineSimilarityLoss(shift_factor=1,
            scale_factor=1)`` (L_align). Needed if ``align_weight > 0``.
        align_weight (float): lambda of Eq. 10. 0 skips the masked branch
            (the "no regularization" point of the lambda sweep).
            Defaults to 0.2.
        mask_ratio (float): fraction of patches in the masked set.
            Defaults to 0.75.
        mask_strategy (str): 'importance_sampling' (default),
            'importance', 'random' or 'block' (Table 5).
        block_min_num_patches (int): smallest block of the 'block'
            strategy. Defaults to 16.
        block_min_aspect (float): smallest block aspect ratio. Defaults to
            0.3.
        attention_direction (str): the importance of a patch:
            'cls_to_patch' (how much the [CLS] query attends to the patch:
            Sec. 3.2's q_0 K^T and the official code since commit 7350304,
            ``avg_attn[:, 0, 1:]``) or 'patch_to_cls' (how much the patch
            attends to [CLS]: ``avg_attn[:, 1:, 0]``, the official code
            before that commit; the author's follow-up commit 94e8428
            describes the change as "Modify the bug (attention value)").
            Defaults to 'cls_to_patch'.
        data_preprocessor (dict, optional): e.g.
            ``SelfSupDataPreprocessor``.
        init_cfg (dict, optional): only ``dict(type='Pretrained', ...)``
            (a whole-model checkpoint); layer initializers go to the part
            they initialize (module docstring).
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 projector: Optional[dict] = None,
                 align_head: Optional[dict] = None,
                 align_weight: float = 0.2,
                 mask_ratio: float = 0.75,
                 mask_strategy: str = 'importance_sampling',
                 block_min_num_patches: int = 16,
                 block_min_aspect: float = 0.3,
                 attention_direction: str = 'cls_to_patch',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        if align_weight < 0:
            raise ValueError(f'align_weight must be >= 0, got {align_weight}')
        if align_weight > 0 and align_head is None:
            raise ValueError('align_weight > 0 needs an align_head (e.g. '
                             "dict(type='mmcae.InfoNCEHead'))")
        _check_init_cfg(init_cfg)
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=head,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        if getattr(self.backbone, 'cls_token', None) is None or \
                getattr(self.backbone, 'out_type', 'raw') != 'raw':
            raise ValueError('ccMIM needs an mmcae.ViT backbone with a [CLS] '
                             "token and out_type='raw'")
        self.projector = MMPRETRAIN_MODELS.build(
            projector) if projector is not None else None
        self.align_head = MMPRETRAIN_MODELS.build(
            align_head) if align_head is not None else None
        if attention_direction not in ('cls_to_patch', 'patch_to_cls'):
            raise ValueError("attention_direction must be 'cls_to_patch' or "
                             f"'patch_to_cls', got {attention_direction!r}")
        self.attention_direction = attention_direction
        self.align_weight = align_weight
        self.divider = ContextualPatchDivider(
            self.backbone.patch_resolution,
            mask_ratio=mask_ratio,
            strategy=mask_strategy,
            block_min_num_patches=block_min_num_patches,
            block_min_aspect=block_min_aspect)

    def extract_feat(self, inputs: torch.Tensor):
        """The encoder's features of whole images."""
        return self.backbone(inputs)

    @torch.no_grad()
    def divide(self,
               images: torch.Tensor,
               generator: Optional[torch.Generator] = None
               ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Divide each image's patches into the masked and visible sets.

        Args:
            images (Tensor): (B, C, H, W) normalized images.
            generator (torch.Generator, optional): random source (tests,
                visualization); None uses torch's global RNG.

        Returns:
            tuple: the bool mask (B, num_patches), True = masked, and the
            importance (B, num_patches): [CLS] attention summed over the
            blocks (None for the strategies that do not read it).
        """
        importance = None
        if self.divider.needs_importance:
            importance = self.backbone.cls_attention(
                images, self.attention_direction).sum(dim=1)
        mask = self.divider(importance, images.shape[0], images.device,
                            generator)
        return mask, importance

    def _embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """[CLS] output -> contrastive space."""
        if self.projector is None:
            return tokens
        return self.projector([tokens])[0]

    def loss(self, inputs: Union[torch.Tensor, List[torch.Tensor]],
             data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Reconstruction and contrastive losses.

        Args:
            inputs (Tensor | list[Tensor]): the images (B, C, H, W) (a
                one-element list from the self-supervised preprocessor).
            data_samples (list[DataSample]): unused (the mask is computed
                here, from the encoder's attention).

        Returns:
            dict: ``loss_rec`` (Eq. 9) and, if ``align_weight > 0``,
            ``loss_align`` (lambda times L_NCE / L_align); mmengine sums
            them.
        """
        images = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        mask, _ = self.divide(images)
        return self.division_losses(images, mask)

    def division_losses(self, images: torch.Tensor,
                        mask: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The losses of one given division (training uses the division
        of :meth:`divide`; analysis tools compare models on fixed ones).

        Args:
            images (Tensor): (B, C, H, W) normalized images.
            mask (Tensor): bool (B, num_patches), True = masked, the same
                count in every row.

        Returns:
            dict: ``loss_rec`` and, if ``align_weight > 0``,
            ``loss_align`` (already times lambda).
        """
        visible = self.backbone(images, keep_mask=~mask)[0]
        # MAE's decoder wants the visible latents first, then the mask
        # tokens, and the permutation back to the patch order
        ids_shuffle = torch.argsort(mask.int(), dim=1, stable=True)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        prediction = self.neck(visible, ids_restore)
        losses = dict(
            loss_rec=self.head.loss(prediction, images, mask.float()))
        if self.align_weight > 0:
            # the visible [CLS] through the projector first, as the official
            # forward_alignment_loss (a BatchNorm's running statistics)
            query = self._embed(visible[:, 0])
            with torch.no_grad():  # stop-gradient: the masked set teaches
                masked = self.backbone(images, keep_mask=mask)[0]
                target = self._embed(masked[:, 0])
            losses['loss_align'] = self.align_weight * self.align_head.loss(
                query, target)
        return losses
