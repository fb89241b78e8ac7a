"""CAE's reconstructions of pixel-target checkpoints: the masked path the
model is trained on, and the full image decoded with the regressor
skipped (arXiv Fig. 4 and App. E Fig. 9; IJCV Fig. 4).

The papers' test of "the input and output representations of the latent
contextual regressor are in the same space" (arXiv Sec. 3 "Analysis",
IJCV Sec. 3): "we feed all the patches (without masking, all the image
patches are visible) of an image into the pretrained encoder, then skip
the latent contextual regressor and directly send all the encoded patch
representations to the pretrained decoder for reconstructing the whole
image". With the alignment loss the reconstruction keeps the semantics;
without it (App. E Fig. 9, IJCV Fig. 4 bottom) it is noise.

Our reading of "directly send ... to the decoder", from the decoder's
code (:meth:`mmcae.models.necks.CAENeck.decode`, the official
``VisionTransformerRegressorDecoder``): in training the decoder receives
``LN_regressor(regressor output) + pos`` of the masked patches, and the
alignment loss pulls ``LN_regressor(regressor output)`` towards the
encoder's (final-LayerNorm) latents of those patches. Skipping the
regressor therefore puts the encoder's latents of ALL patches in that
place: decoder input = ``encoder latents (no [CLS]) + the patches'
position embeddings``, every patch taking the role of a masked query
(the regressor's final LayerNorm is part of the regressor and is
skipped too; the decoder's self-attention runs over all the patches, as
it runs over all the masked ones in training).

Numbers: the target is each patch normalized by its own mean and
standard deviation (``CAE(norm_pixel_target=True)``, IJCV Table 8), so
the MSE is computed in that normalized-pixel space, as the training loss:
masked path over the masked patches, full path over all patches.
Predicting 0 everywhere (the patch mean) scores about 1
(``zero_prediction_mse``): an MSE near 1 is a reconstruction that carries
nothing beyond the mean.

Pictures: normalized predictions have no colour or brightness, so they
are shown with the input patch's own mean and standard deviation
(``display='input-stats'``, as MAE-style visualizations do). Beware: at
small patch sizes these statistics alone (a 4 x 4 patch's mean colour)
draw a recognisable thumbnail even for a meaningless prediction; judge
by the MSE, or draw with ``display='normalized'`` (every column, the
input's target included, in the normalized space, v -> 127.5 + 42.5 v,
i.e. +-3 std, no input statistics used).
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from mmcae.utils.errors import UserError

#: ``display`` values of :func:`run_cae_reconstruction`
DISPLAYS = ('input-stats', 'normalized')
#: the epsilon of CAE's per-patch target normalization
#: (``CAE._pixel_targets``)
TARGET_EPS = 1.e-6


def unpatchify(patches: torch.Tensor, grid: Tuple[int, int],
               patch_size: int) -> torch.Tensor:
    """The inverse of :func:`mmcae.models.selfsup.cae.patchify`: (B, N,
    p*p*C) -> (B, C, H, W)."""
    batch = patches.shape[0]
    rows, cols = grid
    x = patches.reshape(batch, rows, cols, patch_size, patch_size, -1)
    return x.permute(0, 5, 1, 3, 2, 4).reshape(batch, -1, rows * patch_size,
                                               cols * patch_size)


def patch_statistics(
        images: torch.Tensor,
        patch_size: int) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every patch, its mean and its standard deviation as CAE's pixel
    target uses them: ``target = (patch - mean) / std`` with ``std =
    sqrt(var + 1e-6)`` (unbiased variance, ``CAE._pixel_targets``).

    Returns:
        tuple: patches (B, N, p*p*C), means and stds (B, N, 1).
    """
    from mmcae.models.selfsup.cae import patchify
    patches = patchify(images, patch_size)
    mean = patches.mean(dim=-1, keepdim=True)
    std = (patches.var(dim=-1, keepdim=True) + TARGET_EPS)**.5
    return patches, mean, std


def pixel_targets(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The model's reconstruction target of every patch (B, N, p*p*C):
    per-patch normalized pixels, or the pixels themselves for
    ``norm_pixel_target=False``."""
    patches, mean, std = patch_statistics(images, model.backbone.patch_size)
    if not getattr(model, 'norm_pixel_target', True):
        return patches
    return (patches - mean) / std


def _check_model(model: nn.Module) -> None:
    if getattr(model, 'target', None) != 'pixels' or not hasattr(
            getattr(model, 'neck', None), 'decode'):
        raise UserError(
            'cae_reconstruction needs a pixel-target mmcae.CAE (target='
            f"'pixels', an mmcae.CAENeck), got {type(model).__name__} with "
            f"target={getattr(model, 'target', None)!r}")
    if getattr(model.backbone, 'out_type', 'raw') != 'raw':
        raise UserError("the CAE encoder must have out_type='raw', got "
                        f'{model.backbone.out_type!r}')


@torch.no_grad()
def masked_reconstruction(model: nn.Module, images: torch.Tensor,
                          mask: torch.Tensor) -> torch.Tensor:
    """The training path: visible patches -> encoder -> regressor ->
    decoder (``CAE.loss`` without the losses).

    Args:
        model (nn.Module): a pixel-target ``mmcae.CAE``.
        images (Tensor): preprocessed images (B, 3, H, W) of the
            encoder's ``img_size``.
        mask (Tensor): bool (B, N), True = masked (the same count per
            image).

    Returns:
        Tensor: (B, Nm, p*p*3) predictions of the masked patches, in the
        order of their indices.
    """
    _check_model(model)
    visible = model.backbone(images, keep_mask=~mask)[0]
    pos_visible, pos_masked = model._position_embeddings(mask)
    prediction, _ = model.neck(visible[:, model.backbone.num_extra_tokens:],
                               pos_visible, pos_masked)
    return prediction


@torch.no_grad()
def full_reconstruction(model: nn.Module,
                        images: torch.Tensor) -> torch.Tensor:
    """All patches -> encoder -> decoder, the regressor skipped (see the
    module docstring for how the decoder receives them).

    Returns:
        Tensor: (B, N, p*p*3) predictions of every patch.
    """
    _check_model(model)
    backbone = model.backbone
    latents = backbone(images)[0][:, backbone.num_extra_tokens:]
    every = torch.ones(
        latents.shape[:2], dtype=torch.bool, device=latents.device)
    _, positions = model._position_embeddings(every)
    return model.neck.decode(latents, positions)


def mask_generator(cfg, seed: int = 0):
    """The config's block mask generator (the ``train_dataloader``
    pipeline's transform whose type ends in ``MaskGenerator``), built with
    its own seeded stream.

    Raises:
        UserError: the pipeline has none.
    """
    from mmcae.registry import TRANSFORMS
    pipeline = cfg.get('train_dataloader', {}).get('dataset',
                                                   {}).get('pipeline', [])
    for step in pipeline:
        kind = str(step.get('type', ''))
        if kind.endswith('MaskGenerator'):
            step = dict(step, seed=seed)
            step['type'] = kind.split('.')[-1]
            return TRANSFORMS.build(step)
    raise UserError(f"config '{cfg.filename}': no *MaskGenerator in "
                    'train_dataloader.dataset.pipeline to draw the masks')


def reconstruct(model: nn.Module, images: torch.Tensor,
                mask: torch.Tensor) -> Dict:
    """Both paths on a batch, their per-image normalized-pixel MSE and the
    predictions put back into whole images.

    Returns:
        dict: ``target``, ``masked``, ``full`` (B, N, p*p*3) in the
        normalized space (``masked``: the targets of the visible patches,
        the predictions at the masked ones); ``masked_mse`` (masked
        patches), ``full_mse`` (all patches), ``zero_prediction_mse``
        (B,) float64.
    """
    target = pixel_targets(model, images)
    masked_pred = masked_reconstruction(model, images, mask)
    full_pred = full_reconstruction(model, images)
    masked = target.clone()
    masked[mask] = masked_pred.flatten(0, 1).to(target.dtype)
    masked_error = ((masked - target)**2).mean(-1).double()
    num_masked = mask.sum(1).clamp_min(1)
    return dict(
        target=target,
        masked=masked,
        full=full_pred,
        masked_mse=(masked_error * mask).sum(1) / num_masked,
        full_mse=((full_pred - target)**2).double().mean((1, 2)),
        zero_prediction_mse=(target**2).double().mean((1, 2)))


def to_pixels(normalized: torch.Tensor,
              images: torch.Tensor,
              patch_size: int,
              norm_pixel_target: bool = True,
              display: str = 'input-stats') -> torch.Tensor:
    """Predictions or targets (B, N, p*p*3) as preprocessed images (B, 3,
    H, W): with the input patch's mean and std ('input-stats'), or mapped
    linearly from +-3 to the pixel range of the input ('normalized')."""
    grid = (images.shape[-2] // patch_size, images.shape[-1] // patch_size)
    if display == 'normalized':
        return unpatchify(normalized.clamp(-3, 3) / 3, grid, patch_size)
    if not norm_pixel_target:
        return unpatchify(normalized, grid, patch_size)
    _, mean, std = patch_statistics(images, patch_size)
    return unpatchify(normalized * std + mean, grid, patch_size)


def _normalized_view(images: torch.Tensor, to_rgb: bool) -> np.ndarray:
    """(B, 3, H, W) in [-1, 1] -> uint8 RGB (127.5 + 127.5 v)."""
    pixels = images if to_rgb else images.flip(1)
    return (127.5 + 127.5 * pixels.clamp(-1, 1)).round().to(
        torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def _mask_overlay(crops: np.ndarray, mask: torch.Tensor,
                  patch_size: int) -> np.ndarray:
    """The input with its masked patches grey."""
    rows = crops.shape[1] // patch_size
    grid = mask.reshape(mask.shape[0], rows, -1).cpu().numpy()
    pixels = np.repeat(np.repeat(grid, patch_size, 1), patch_size, 2)
    out = crops.copy()
    out[pixels] = 127
    return out


def plot_reconstructions(columns: List[Tuple[str, np.ndarray]],
                         notes: List[List[str]], path: str) -> None:
    """A grid: a row per image, a column per (title, uint8 (N, H, W, 3));
    ``notes[column][image]`` under each tile."""
    from .figures import _pyplot
    plt = _pyplot()
    num_images = columns[0][1].shape[0]
    fig, axes = plt.subplots(
        num_images,
        len(columns),
        figsize=(1.6 * len(columns), 1.7 * num_images),
        squeeze=False)
    for col, (title, tiles) in enumerate(columns):
        for row in range(num_images):
            ax = axes[row][col]
            ax.imshow(tiles[row], interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(title, fontsize=7)
            if notes[col][row]:
                ax.set_xlabel(notes[col][row], fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_cae_reconstruction(models: Sequence[Tuple[str, Optional[str], str]],
                           images: Optional[Sequence[str]] = None,
                           num_images: Optional[int] = None,
                           seed: int = 0,
                           display: str = 'input-stats',
                           out_dir: str = 'work_dirs/cae_reconstruction',
                           device: str = 'cpu',
                           trust: Optional[bool] = None,
                           cfg_options: Optional[dict] = None) -> Dict:
    """Both reconstructions of several pixel-target CAE checkpoints on the
    same images; ``cae_reconstruction.png`` and ``.json`` in ``out_dir``.

    Args:
        models: (config, checkpoint of the whole CAE or None for the
            seeded random init, label) per model.
        images: image files or folders (:func:`mmcae.analysis.
            find_images`); None: a fixed sample of the first config's
            training set (:func:`mmcae.analysis.sample_training_images`).
        num_images (int, optional): how many (default: 8 of the training
            set, all of ``images``).
        seed (int): seed of the masks (the config's mask generator) and
            of random inits.
        display (str): see the module docstring.

    Returns:
        dict: the JSON's content.
    """
    from mmcae.utils.config import load_config
    from .images import (denormalize, find_images, load_image,
                         preprocessor_normalize, preprocessor_stats,
                         sample_training_images)
    from .models import build_model, load_checkpoint
    if display not in DISPLAYS:
        raise UserError(f'display must be one of {DISPLAYS}, got {display!r}')
    if not models:
        raise UserError('give at least one CAE model')
    for _, checkpoint, _ in models:
        if checkpoint is not None and not osp.isfile(checkpoint):
            raise UserError(f'checkpoint not found: {checkpoint}')
    cfgs = [load_config(config, cfg_options) for config, _, _ in models]
    if images:
        paths = find_images(images, num_images)
    else:
        paths = sample_training_images(cfgs[0], num_images or 8)
    columns, notes, results, crops = [], [], [], None
    for (config, checkpoint, label), cfg in zip(models, cfgs):
        model = build_model(cfg, seed, random_init=checkpoint is None)
        _check_model(model)
        if checkpoint is not None:
            load_checkpoint(model, checkpoint, ('backbone.', 'neck.'), trust)
        model.to(torch.device(device)).eval()
        patch = model.backbone.patch_size
        size = tuple(s * patch for s in model.backbone.patch_resolution)
        model_crops = np.stack([load_image(p, size) for p in paths])
        if crops is None:
            crops = model_crops
            columns.append(('input', crops))
            notes.append([''] * len(paths))
        elif model_crops.shape != crops.shape:
            raise UserError(f'{label}: image size {size} differs from the '
                            "first model's; compare models of one size")
        generator = mask_generator(cfg, seed)
        mask = torch.stack([
            torch.as_tensor(generator.generate()[0]).flatten() for _ in paths
        ]).bool().to(device)
        inputs = preprocessor_normalize(model_crops, cfg).to(device)
        out = reconstruct(model, inputs, mask)
        stats = preprocessor_stats(cfg)
        norm = getattr(model, 'norm_pixel_target', True)

        def view(normalized):
            pixels = to_pixels(normalized, inputs, patch, norm, display)
            if display == 'normalized':
                return _normalized_view(pixels, stats[2])
            return denormalize(pixels, *stats)

        shown_input = crops if display == 'input-stats' else view(
            out['target'])
        columns += [(f'{label}\nmasked input',
                     _mask_overlay(shown_input, mask, patch)),
                    (f'{label}\nmasked recon.', view(out['masked'])),
                    (f'{label}\nfull, no regressor', view(out['full']))]
        mse = {
            key: out[key].cpu().tolist()
            for key in ('masked_mse', 'full_mse', 'zero_prediction_mse')
        }
        notes += [[''] * len(paths),
                  [f'MSE {v:.3f}' for v in mse['masked_mse']],
                  [f'MSE {v:.3f}' for v in mse['full_mse']]]
        results.append(
            dict(
                label=label,
                config=config,
                checkpoint=checkpoint,
                align_weight=float(getattr(model, 'align_weight', 0.)),
                img_size=list(size),
                patch_size=patch,
                mask_ratio=float(mask.float().mean()),
                masks=mask.reshape(
                    len(paths),
                    *model.backbone.patch_resolution).int().cpu().tolist(),
                **mse,
                mean_masked_mse=float(np.mean(mse['masked_mse'])),
                mean_full_mse=float(np.mean(mse['full_mse']))))
    os.makedirs(out_dir, exist_ok=True)
    figure = osp.join(out_dir, 'cae_reconstruction.png')
    plot_reconstructions(columns, notes, figure)
    record = dict(
        images=paths,
        seed=seed,
        display=display,
        mse_space='per-patch normalized pixels (the training target)',
        decoder_input_full='encoder latents of all patches (no [CLS]) + '
        'their position embeddings; regressor and its final LayerNorm '
        'skipped',
        figure=figure,
        models=results)
    with open(osp.join(out_dir, 'cae_reconstruction.json'), 'w') as f:
        json.dump(record, f, indent=1)
    return record
