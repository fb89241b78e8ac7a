"""Mean attention distance (ViT paper, Fig. 7 right; Uni-SSL Fig. 3).

For one attention head, the attention distance of a query patch is the
distance in pixels between its centre and the centres of the key patches,
weighted by the attention the query gives them:

    d(q) = sum_k a(q, k) * ||c_q - c_k||,

averaged over the query patches and the images. It measures how far a
head reaches, like the receptive field of a CNN layer.

Prefix tokens ([CLS], a distillation token) have no place in the image.
They are handled so:

* Queries: only patch tokens are queries (a [CLS] query has no centre to
  measure from).
* Keys: only patch tokens are keys, and by default
  (``renormalize=True``) each query's weights over the patch keys are
  renormalized to sum to 1. The distance is then the expected distance
  of the key patch a query reads from, given that it reads from a patch:
  the spatial reach of the head, whatever share the [CLS] key takes.
  Taking the weights as they are (``renormalize=False``) counts the
  attention to [CLS] as distance 0, i.e. as perfectly local, although
  [CLS] is a summary of the whole image; heads that park much of their
  attention on [CLS] (common in supervised and DINO ViTs) would look
  local for that reason alone, which is exactly the comparison of
  Fig. 3 (a). ``renormalize=False`` matches the widely used notebook
  implementations that slice the patch block of the attention matrix
  without renormalizing; both agree when [CLS] gets no attention.
  A query that gives all its attention to prefix tokens has distance 0
  either way.

:func:`run_attention_distance` is the analysis of
``tools/analysis_tools/attention_distance.py``: several models on the same
images, figures and a JSON record.
"""
import inspect
import json
import os
import os.path as osp
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import nn

from mmcae.utils.errors import UserError
from .attention_recorder import record_attention

GridSize = Union[int, Sequence[int]]


def _grid(grid_size: GridSize) -> Tuple[int, int]:
    if isinstance(grid_size, int):
        grid = (grid_size, grid_size)
    else:
        grid = tuple(int(v) for v in grid_size)
    if len(grid) != 2 or min(grid) < 1:
        raise ValueError('grid_size must be a positive int or (rows, cols), '
                         f'got {grid_size!r}')
    return grid  # type: ignore


def patch_centres(grid_size: GridSize, patch_size: float = 16) -> torch.Tensor:
    """Pixel coordinates (y, x) of the patch centres in row-major order.

    Returns:
        Tensor: (rows * cols, 2), float64.
    """
    rows, cols = _grid(grid_size)
    ys, xs = torch.meshgrid(
        torch.arange(rows, dtype=torch.float64),
        torch.arange(cols, dtype=torch.float64),
        indexing='ij')
    return (torch.stack([ys, xs], dim=-1).reshape(-1, 2) + 0.5) * patch_size


def patch_distances(grid_size: GridSize,
                    patch_size: float = 16) -> torch.Tensor:
    """Euclidean distances in pixels between all pairs of patch centres.

    Returns:
        Tensor: (N, N) with N = rows * cols, float64.
    """
    centres = patch_centres(grid_size, patch_size)
    offsets = centres[:, None] - centres[None]
    # exact for axis-aligned pairs (cdist's matrix-product path is not)
    return torch.hypot(offsets[..., 0], offsets[..., 1])


def attention_distance_per_image(attn: torch.Tensor,
                                 grid_size: GridSize,
                                 patch_size: float = 16,
                                 num_prefix_tokens: int = 1,
                                 renormalize: bool = True) -> torch.Tensor:
    """Mean attention distance of each head in each image.

    Args:
        attn (Tensor): softmax weights (B, heads, T, T) (or (heads, T, T)
            for one image), T = num_prefix_tokens + rows * cols, tokens in
            the order [prefix tokens, patches row-major].
        grid_size (int | tuple): patch grid (rows, cols).
        patch_size (float): patch side in pixels. Defaults to 16.
        num_prefix_tokens (int): tokens before the patches ([CLS]: 1).
        renormalize (bool): renormalize each query's weights over the
            patch keys (see the module docstring). Defaults to True.

    Returns:
        Tensor: (B, heads) distances in pixels (float64), averaged over
        the query patches.

    Raises:
        ValueError: ``attn`` has the wrong rank or a token count that is
            not ``num_prefix_tokens + rows * cols``.
    """
    rows, cols = _grid(grid_size)
    if attn.dim() == 3:
        attn = attn.unsqueeze(0)
    if attn.dim() != 4:
        raise ValueError('attn must be (B, heads, T, T) or (heads, T, T), '
                         f'got shape {tuple(attn.shape)}')
    if num_prefix_tokens < 0:
        raise ValueError(
            f'num_prefix_tokens must be >= 0, got {num_prefix_tokens}')
    num_tokens = num_prefix_tokens + rows * cols
    if attn.shape[-2:] != (num_tokens, num_tokens):
        raise ValueError(
            f'attn has {tuple(attn.shape[-2:])} tokens, but '
            f'{num_prefix_tokens} prefix tokens + a {rows}x{cols} grid '
            f'make {num_tokens}')
    if patch_size <= 0:
        raise ValueError(f'patch_size must be positive, got {patch_size}')
    weights = attn[..., num_prefix_tokens:, num_prefix_tokens:].to(
        torch.float64)
    distances = patch_distances((rows, cols), patch_size).to(weights.device)
    # (B, heads, queries): the weighted distance sum of each query
    per_query = (weights * distances).sum(dim=-1)
    if renormalize:
        mass = weights.sum(dim=-1)
        per_query = per_query / mass.clamp_min(torch.finfo(mass.dtype).tiny)
    return per_query.mean(dim=-1)


def attention_distance(attn: torch.Tensor,
                       grid_size: GridSize,
                       patch_size: float = 16,
                       num_prefix_tokens: int = 1,
                       renormalize: bool = True) -> torch.Tensor:
    """Mean attention distance of each head, in pixels.

    The distance of a query patch is the sum over the key patches of its
    attention weight times the distance between the two patch centres;
    it is averaged over the query patches and the batch. Prefix tokens:
    see the module docstring.

    Args:
        attn (Tensor): (B, heads, T, T) or (heads, T, T) softmax weights.
        grid_size (int | tuple): patch grid (rows, cols).
        patch_size (float): patch side in pixels. Defaults to 16.
        num_prefix_tokens (int): tokens before the patches. Defaults to 1.
        renormalize (bool): renormalize each query's weights over the
            patch keys. Defaults to True.

    Returns:
        Tensor: (heads, ) float64.
    """
    return attention_distance_per_image(attn, grid_size, patch_size,
                                        num_prefix_tokens,
                                        renormalize).mean(dim=0)


def patch_size_of(backbone: nn.Module) -> int:
    """The patch size of a ViT backbone: the stride of the first
    convolution of its ``patch_embed`` (mmcae ``proj``, mmpretrain
    ``projection``).

    Raises:
        ValueError: no such convolution, or one with overlapping patches.
    """
    patch_embed = getattr(backbone, 'patch_embed', None)
    convs = [] if patch_embed is None else [
        m for m in patch_embed.modules() if isinstance(m, nn.Conv2d)
    ]
    if not convs:
        raise ValueError(f'{type(backbone).__name__} has no patch_embed '
                         'convolution to read the patch size from')
    conv = convs[0]
    if conv.kernel_size != conv.stride or conv.stride[0] != conv.stride[1]:
        raise ValueError(
            f'{type(backbone).__name__}: the patch embedding has kernel '
            f'{conv.kernel_size} and stride {conv.stride}; square, '
            'non-overlapping patches are needed')
    return int(conv.stride[0])


def full_image_forward(backbone: nn.Module) -> Callable[[torch.Tensor],
                                                        object]:
    """A function running ``backbone`` on whole images: masked-image
    backbones (mmpretrain ``MAEViT``, ``BEiTPretrainViT``..., whose forward
    takes ``mask``) get ``mask=None``, which encodes every patch."""
    try:
        parameters = inspect.signature(backbone.forward).parameters
    except (TypeError, ValueError):
        parameters = {}
    if 'mask' in parameters:
        return lambda images: backbone(images, mask=None)
    return backbone


@torch.no_grad()
def model_attention_distance(backbone: nn.Module,
                             images: torch.Tensor,
                             patch_size: Optional[int] = None,
                             num_prefix_tokens: Optional[int] = None,
                             batch_size: int = 16,
                             renormalize: bool = True,
                             forward: Optional[Callable] = None
                             ) -> np.ndarray:
    """Mean attention distance of every head of every layer of a model.

    Args:
        backbone (nn.Module): a ViT with supported attention layers (see
            :func:`~mmcae.analysis.record_attention`), in eval mode.
        images (Tensor): normalized images (N, 3, H, W), on the model's
            device or the CPU (batches are moved to the model's device).
        patch_size (int, optional): defaults to :func:`patch_size_of`.
        num_prefix_tokens (int, optional): tokens before the patches;
            defaults to the layer's token count minus the patches.
        batch_size (int): images per forward pass.
        renormalize (bool): see :func:`attention_distance`.
        forward (callable, optional): runs the model on a batch; defaults
            to :func:`full_image_forward`.

    Returns:
        np.ndarray: (layers, heads) distances in pixels, averaged over all
        images; layers in forward order.
    """
    if images.dim() != 4 or images.shape[0] == 0:
        raise ValueError('images must be a non-empty (N, C, H, W) batch, '
                         f'got shape {tuple(images.shape)}')
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    patch_size = patch_size or patch_size_of(backbone)
    height, width = images.shape[-2:]
    if height % patch_size or width % patch_size:
        raise ValueError(f'image size {(height, width)} is not a multiple '
                         f'of the patch size {patch_size}')
    grid = (height // patch_size, width // patch_size)
    forward = forward or full_image_forward(backbone)
    device = next(backbone.parameters()).device

    def reduce(weights: torch.Tensor) -> torch.Tensor:
        prefix = num_prefix_tokens
        if prefix is None:
            prefix = weights.shape[-1] - grid[0] * grid[1]
        return attention_distance_per_image(weights, grid, patch_size,
                                            prefix, renormalize).sum(0).cpu()

    totals: Optional[torch.Tensor] = None
    with record_attention(backbone, reduce=reduce) as recorder:
        for start in range(0, images.shape[0], batch_size):
            recorder.clear()
            forward(images[start:start + batch_size].to(device))
            sums = torch.stack(recorder.maps)
            if totals is not None and sums.shape != totals.shape:
                raise RuntimeError(
                    f'layers x heads changed between batches: '
                    f'{tuple(totals.shape)} then {tuple(sums.shape)}')
            totals = sums if totals is None else totals + sums
    return (totals / images.shape[0]).numpy()


def _number(text: str) -> Optional[float]:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def run_attention_distance(
        models: Sequence[Tuple[str, Optional[str], str]] = (),
        vits: Sequence[Tuple[Optional[str], str]] = (),
        img_dir: str = '',
        num_images: Optional[int] = 50,
        img_size: int = 224,
        arch: Union[str, dict] = 'base',
        patch_size: int = 16,
        qkv_bias: Optional[str] = 'qkv',
        batch_size: int = 16,
        renormalize: bool = True,
        random_init: bool = False,
        seed: int = 0,
        label_name: str = 'label',
        out_dir: str = 'work_dirs/attention_distance',
        device: str = 'cpu',
        trust: Optional[bool] = None,
        cfg_options: Optional[dict] = None) -> Dict:
    """Mean attention distance of every head of several models on the same
    images (Uni-SSL Fig. 3); figures and JSON written to ``out_dir``.

    Args:
        models: (config, checkpoint of its whole model or None for the
            random init, label) per config model; its ``backbone`` (the
            model itself if it has none) is analysed.
        vits: (encoder checkpoint or None, label) per ``mmcae.ViT`` of
            ``arch``, ``patch_size`` and ``qkv_bias``.
        img_dir (str): image folder (:func:`mmcae.analysis.find_images`).
        num_images (int, optional): the first images of the folder.
        img_size (int): the crop (ImageNet test view).
        batch_size (int): images per forward.
        renormalize (bool): see :func:`attention_distance`.
        random_init (bool): load no checkpoint at all.
        seed (int): seed of the random inits.
        label_name (str): what numeric labels are (Fig. 3 (b) colour bar).
        out_dir (str): ``attention_distance.png``, with numeric labels
            ``attention_distance_by_label.png``, ``attention_distance.json``.
        trust, cfg_options: checkpoint trust; overrides of every config.

    Returns:
        dict: the JSON's content.

    Raises:
        UserError: a missing file, a model that cannot be built or a
            checkpoint that does not fit (checked before any model work).
    """
    from .figures import (plot_attention_distance,
                          plot_attention_distance_by_label)
    from .images import find_images, load_images
    from .models import analysed_backbone
    specs = [('config', cfg, ckpt, label) for cfg, ckpt, label in models]
    specs += [('vit', arch, ckpt, label) for ckpt, label in vits]
    for _, _, checkpoint, _ in specs:  # fail before any model work
        if not random_init and checkpoint is not None and \
                not osp.isfile(checkpoint):
            raise UserError(f'checkpoint not found: {checkpoint}')
    paths = find_images(img_dir, num_images)
    images = load_images(paths, img_size)
    results = []
    for kind, source, checkpoint, label in specs:
        loaded = None if random_init else checkpoint
        backbone = analysed_backbone(kind, source, loaded, img_size,
                                     patch_size, qkv_bias, seed, trust,
                                     cfg_options)
        backbone.to(torch.device(device)).eval()
        try:
            patch = patch_size_of(backbone)
            distances = model_attention_distance(
                backbone,
                images,
                patch_size=patch,
                batch_size=batch_size,
                renormalize=renormalize)
        except ValueError as err:
            raise UserError(f'{label}: {err}') from err
        grid = [img_size // patch] * 2
        results.append(
            dict(
                label=label,
                kind=kind,
                source=source,
                checkpoint=loaded,
                patch_size=patch,
                grid=grid,
                max_distance=float(patch * np.hypot(grid[0] - 1,
                                                    grid[1] - 1)),
                distances=distances.tolist(),
                mean_per_layer=distances.mean(axis=1).tolist(),
                mean=float(distances.mean())))
    os.makedirs(out_dir, exist_ok=True)
    figures = [osp.join(out_dir, 'attention_distance.png')]
    plot_attention_distance(results, figures[0])
    values = [_number(r['label']) for r in results]
    if all(v is not None for v in values):
        figures.append(osp.join(out_dir, 'attention_distance_by_label.png'))
        plot_attention_distance_by_label(results, values, label_name,
                                         figures[1])
    record = dict(
        images=paths,
        num_images=len(paths),
        img_size=img_size,
        prefix_weights='renormalize' if renormalize else 'as-is',
        random_init=random_init,
        seed=seed,
        figures=figures,
        models=results)
    with open(osp.join(out_dir, 'attention_distance.json'), 'w') as f:
        json.dump(record, f, indent=1)
    return record
