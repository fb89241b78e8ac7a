"""CAE: Context Autoencoder for self-supervised representation learning
(Chen et al., arXiv 2022 / IJCV 2023), as an mmpretrain self-supervisor.

Per image (Sec. 3 of the papers): the encoder sees [CLS] + the visible
patches; the regressor predicts the latents of the masked patches from the
visible latents; the decoder maps the predicted latents to the masked
patches' targets (DALL-E / d-VAE tokens, or normalized pixels). The
alignment target is the SAME encoder, under ``no_grad``, applied to the
masked patches (with their positions). Loss = reconstruction + lambda *
MSE(predicted latents, target latents) (:class:`~mmcae.models.heads.CAEHead`,
configured by this class's ``target`` and ``align_weight``).

Why not mmpretrain's ``CAE``: it keeps a second full copy of the encoder as
the "teacher" and copies the weights AFTER each forward, so its alignment
target comes from the previous step's weights and costs the memory of a
second encoder. The official CAE code uses the live encoder weights; so do
we: no copy, never stale.
"""
from typing import Dict, List, Optional, Union

import torch
from mmpretrain.models import BaseSelfSupervisor
from mmpretrain.structures import DataSample

from mmcae.registry import MODELS
from mmcae.utils.errors import UserError
from ..heads.cae_head import TARGET_TYPES, CAEHead
from ..tokenizers import FrozenTokenizer


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, H/p * W/p, p*p*C), patches in row-major order
    and pixels within a patch as (row, col, channel)."""
    batch, channels, height, width = images.shape
    grid_h, grid_w = height // patch_size, width // patch_size
    x = images.reshape(batch, channels, grid_h, patch_size, grid_w,
                       patch_size)
    return x.permute(0, 2, 4, 3, 5, 1).reshape(batch, grid_h * grid_w, -1)


@MODELS.register_module()
class CAE(BaseSelfSupervisor):
    """Context Autoencoder.

    Args:
        backbone (dict): the encoder, an :class:`mmcae.models.ViT` with
            ``out_type='raw'`` and a [CLS] token; ``init_scheme='cae'``
            initializes it as the official code (the configs set it: a
            model-level ``init_cfg`` would be overwritten by the ViT's own
            init, which mmengine runs after the model's).
        neck (dict): the regressor + decoder (:class:`CAENeck`; its own
            init is the official one, its ``drop_path_rate`` the encoder's).
        target_generator (dict, optional): the frozen tokenizer for token
            targets (e.g. a DALL-E encoder returning (B, vocab, h, w)
            logits); None for pixel targets.
        target (str): 'tokens' (cross entropy on the tokenizer's argmax,
            from the second view ``inputs[1]``) or 'pixels' (MSE on
            per-patch normalized pixels of ``inputs[0]``, IJCV Table 8).
        align_weight (float): lambda of the alignment loss (2 in the
            papers); 0 disables it (ablation).
        norm_pixel_target (bool): normalize each target patch by its own
            mean and std (pixel targets). Defaults to True.
        data_preprocessor (dict, optional): e.g. mmpretrain's
            ``TwoNormDataPreprocessor`` for the two views.
        init_cfg (dict, optional): init config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 target_generator: Optional[dict] = None,
                 target: str = 'tokens',
                 align_weight: float = 2.,
                 norm_pixel_target: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        if target not in TARGET_TYPES:
            raise ValueError(f'target must be one of {TARGET_TYPES}, got '
                             f'{target!r}')
        if target == 'tokens' and target_generator is None:
            raise ValueError("target='tokens' needs a target_generator (a "
                             'tokenizer such as the DALL-E encoder)')
        super().__init__(
            backbone=backbone,
            neck=neck,
            target_generator=target_generator,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.target = target
        self.align_weight = align_weight
        # the losses (no parameters: the state dict holds the networks only)
        self.head = CAEHead(target, align_weight)
        self.norm_pixel_target = norm_pixel_target
        if self.with_target_generator:
            self.target_generator.requires_grad_(False)
            if not isinstance(self.target_generator, FrozenTokenizer):
                # a foreign tokenizer (e.g. mmpretrain's DALL-E): eager
                # channels-last convolutions are its fastest CPU path
                self.target_generator.to(memory_format=torch.channels_last)

    def extract_feat(self, inputs: torch.Tensor):
        """The encoder's features of whole images."""
        return self.backbone(inputs)

    def _position_embeddings(self, mask: torch.Tensor):
        """Position embeddings of the visible and of the masked patches."""
        pos = self.backbone.pos_embed[:, self.backbone.num_extra_tokens:]
        pos = pos.expand(mask.shape[0], -1, -1)
        channels = pos.shape[-1]
        visible = pos[~mask].reshape(mask.shape[0], -1, channels)
        masked = pos[mask].reshape(mask.shape[0], -1, channels)
        return visible, masked

    def _token_targets(self, target_view: torch.Tensor,
                       mask: torch.Tensor) -> torch.Tensor:
        """The frozen tokenizer's token ids of the masked patches.

        mmcae tokenizers (:class:`~mmcae.models.tokenizers.FrozenTokenizer`)
        compute the vocabulary head at the masked positions only, on
        pre-reordered oneDNN weights on CPU; any other module returning
        (B, vocab, h, w) logits runs under inference mode with
        channels-last convolutions. The tokenizer is the costliest part
        of a CPU step (a DALL-E encoder on 112-px views).
        """
        self.target_generator.eval()
        # the tokens are targets: computed in full precision even under a
        # mixed-precision step (bfloat16 flips argmax on near-tied logits;
        # the official BEiT / CAE code tokenizes outside autocast too)
        with torch.autocast(target_view.device.type, enabled=False):
            return self._tokenize(target_view.float(), mask)

    def _tokenize(self, target_view: torch.Tensor,
                  mask: torch.Tensor) -> torch.Tensor:
        if isinstance(self.target_generator, FrozenTokenizer):
            return self.target_generator.tokenize(target_view, mask)
        with torch.inference_mode():
            view = target_view.contiguous(memory_format=torch.channels_last)
            logits = self.target_generator(view)  # (B, vocab, h, w)
            tokens = logits.argmax(dim=1).flatten(1)
        # a clone made outside inference mode may enter the autograd graph
        return tokens.clone()[mask]

    def _pixel_targets(self, images: torch.Tensor,
                       mask: torch.Tensor) -> torch.Tensor:
        patches = patchify(images, self.backbone.patch_size)
        if self.norm_pixel_target:
            mean = patches.mean(dim=-1, keepdim=True)
            var = patches.var(dim=-1, keepdim=True)
            patches = (patches - mean) / (var + 1.e-6)**.5
        return patches[mask]

    def _check_mask_grid(self, mask: torch.Tensor,
                         images: torch.Tensor) -> None:
        """Raise if the pipeline's masks (B, h, w) are not the images'
        patch grid.

        The backbone would fail on it with a shape error that names no
        config key; the grid comes from two places of a config (the mask
        generator's ``input_size``, the crop size and the backbone's
        ``patch_size``), so the message names them.
        """
        patch_size = self.backbone.patch_size
        grid = (images.shape[-2] // patch_size,
                images.shape[-1] // patch_size)
        mask_grid = tuple(mask.shape[1:])
        if mask_grid == grid or (len(mask_grid) == 1
                                 and mask_grid[0] == grid[0] * grid[1]):
            return
        shown = 'x'.join(str(side) for side in mask_grid)
        raise UserError(
            f'CAE: the patch masks from the data pipeline are {shown} but '
            f'the {images.shape[-2]}x{images.shape[-1]} images with '
            f'model.backbone.patch_size = {patch_size} have a '
            f'{grid[0]}x{grid[1]} patch grid: set input_size of the '
            'mmcae.CAEBlockMaskGenerator in train_dataloader.dataset.pipeline '
            f'to {grid[0] if grid[0] == grid[1] else grid}, or change the '
            "pipeline's crop size or model.backbone.patch_size to give its "
            'grid')

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Reconstruction and alignment losses.

        Args:
            inputs (list[Tensor] | Tensor): ``inputs[0]`` the images the
                encoder sees; ``inputs[1]`` the tokenizer's view (token
                targets). A single tensor is the one view (pixel targets).
            data_samples (list[DataSample]): each with a ``mask``
                (patch grid, True = masked; the same count per image).

        Returns:
            dict: ``loss_main`` (reconstruction) and ``loss_align``
            (lambda * alignment MSE); mmengine sums them.
        """
        if isinstance(inputs, torch.Tensor):  # one view: a batch tensor
            inputs = [inputs]
        images = inputs[0]
        # transforms give numpy masks; PackInputs keeps them as they are
        mask = torch.stack(
            [torch.as_tensor(sample.mask) for sample in data_samples])
        self._check_mask_grid(mask, images)
        mask = mask.flatten(1).to(device=images.device, dtype=torch.bool)
        visible = self.backbone(images, keep_mask=~mask)[0]
        pos_visible, pos_masked = self._position_embeddings(mask)
        prediction, latent_pred = self.neck(visible[:, 1:], pos_visible,
                                            pos_masked)
        prediction = prediction.flatten(0, 1)  # (B * Nm, out)
        if self.target == 'tokens':
            target = self._token_targets(inputs[1], mask)
        else:
            target = self._pixel_targets(images, mask)
        if self.align_weight <= 0:
            return self.head.loss(prediction, target)
        with torch.no_grad():  # same weights: never stale, no copy
            latent_target = self.backbone(images, keep_mask=mask)[0]
        return self.head.loss(prediction, target, latent_pred,
                              latent_target[:, 1:])
