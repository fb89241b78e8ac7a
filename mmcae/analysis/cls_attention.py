"""Last-layer [CLS] attention maps and their 50 %-mass regions (CAE arXiv
Sec. 3.3 and App. F, Figs. 6 and 10; IJCV Figs. 6 and 8).

The papers show "the attention map averaged over 12 attention heads
between the class token and the patch tokens in the last layer", with "the
region inside the blue contour obtained by thresholding the attention
weights to keep 50 % of the mass", on whole images and on random crops:
MoCo v3 attends to the centre / the object, CAE to almost all patches.
Here, with the numbers the figures only suggest:

* **Map** (:func:`cls_attention_maps`): the softmax weights of the
  [CLS] query (the first token) of the last attention layer, averaged over
  the heads, on the patch keys (the last rows x cols tokens), renormalized
  to sum to 1 over the patches. The share the [CLS] query gives to prefix
  tokens (itself, a distillation token) is kept apart as ``prefix_mass``.
* **50 %-mass region** (:func:`mass_region`): the smallest set of patches
  holding at least ``mass`` of the map, taken in descending order of
  weight. Tie rule: a stable sort, so among equal weights the patch that
  comes first in raster order (row-major) is taken first, and the region
  stops at the first patch that reaches the mass (sums in float64, a
  shortfall of up to 1e-6 counts as reached, so that the rounding of
  float32 weights and of their sums does not add a patch). A uniform map
  over an even number of patches thus holds exactly half of them (an odd
  number: the smaller majority, (N + 1) / 2); a one-hot map, one patch.
* **Centre distance** (:func:`centre_distance`): the attention-weighted
  mean Euclidean distance of the patch centres from the image centre, as
  a fraction of the half diagonal (0: all mass at the centre; 1: all mass
  at a corner point, which no patch centre reaches), or in patch sides
  (``relative=False``).

The statistics (fraction of the patches inside the region, centre
distance) are given per image and as mean / std over the images, for the
whole images (the ImageNet test view) and for seeded random resized
crops, beside those of a uniform map of the same grid for reference.
:func:`run_attention_maps` writes the figures and the JSON for any map
function; :func:`run_cls_attention_maps` is the analysis of
``tools/analysis_tools/cls_attention_maps.py``.
"""
import copy
import json
import os
import os.path as osp
from typing import (Callable, Dict, List, Optional, Sequence, Tuple, Union)

import numpy as np
import torch
from torch import nn

from mmcae.utils.errors import UserError
from .attention_distance import full_image_forward, patch_size_of
from .attention_recorder import record_attention

#: the papers' threshold: the region keeps 50 % of the attention mass
MASS = 0.5
#: how far below ``mass`` a cumulative sum may fall and still reach it
MASS_TOLERANCE = 1e-6
#: the tie rule, as written into the JSON
TIE_RULE = ('stable descending sort: equal weights are taken in raster '
            'order, and the region ends at the first patch whose '
            'cumulative mass reaches the threshold (tolerance 1e-6)')
#: (maps (B, rows, cols) summing to 1, prefix mass (B, )) of normalized
#: images (B, 3, H, W)
MapFunction = Callable[[torch.Tensor], Tuple[torch.Tensor, torch.Tensor]]
ArrayLike = Union[torch.Tensor, np.ndarray]


def _as_maps(attn_map: ArrayLike) -> torch.Tensor:
    maps = torch.as_tensor(attn_map).to(torch.float64)
    if maps.dim() < 2 or min(maps.shape[-2:]) < 1:
        raise ValueError('attention maps must be (..., rows, cols), got '
                         f'shape {tuple(maps.shape)}')
    if (maps < 0).any() or not torch.isfinite(maps).all():
        raise ValueError('attention maps must be finite and >= 0')
    return maps


def mass_region(attn_map: ArrayLike, mass: float = MASS) -> torch.Tensor:
    """The smallest set of patches holding ``mass`` of each map.

    Patches are taken in descending order of weight, ties in raster order
    (a stable sort), until their sum reaches ``mass`` of the map's total
    (within :data:`MASS_TOLERANCE`); see the module docstring.

    Args:
        attn_map (Tensor | ndarray): non-negative maps (..., rows, cols),
            normalized here to sum to 1 each.
        mass (float): in (0, 1]. Defaults to 0.5.

    Returns:
        Tensor: bool (..., rows, cols), True inside the region.

    Raises:
        ValueError: a bad shape, negative or non-finite weights, an
            all-zero map or ``mass`` outside (0, 1].
    """
    if not 0 < mass <= 1:
        raise ValueError(f'mass must be in (0, 1], got {mass}')
    maps = _as_maps(attn_map)
    flat = maps.flatten(-2)
    total = flat.sum(-1, keepdim=True)
    if (total <= 0).any():
        raise ValueError('an attention map sums to 0')
    values, order = torch.sort(
        flat / total, dim=-1, descending=True, stable=True)
    reached = values.cumsum(-1) >= mass - MASS_TOLERANCE
    reached[..., -1] = True  # the whole map always holds the mass
    count = reached.to(torch.int64).argmax(-1, keepdim=True) + 1
    ranks = torch.arange(flat.shape[-1]).expand_as(flat)
    inside = torch.zeros_like(flat, dtype=torch.bool)
    inside.scatter_(-1, order, ranks < count)
    return inside.view(maps.shape)


def centre_distance(attn_map: ArrayLike,
                    relative: bool = True) -> torch.Tensor:
    """Attention-weighted mean distance of the patch centres from the image
    centre.

    Args:
        attn_map (Tensor | ndarray): non-negative maps (..., rows, cols),
            normalized here to sum to 1 each.
        relative (bool): as a fraction of the half diagonal of the image
            (default); False: in patch sides.

    Returns:
        Tensor: (...) float64.
    """
    maps = _as_maps(attn_map)
    rows, cols = maps.shape[-2:]
    ys = torch.arange(rows, dtype=torch.float64) + 0.5 - rows / 2
    xs = torch.arange(cols, dtype=torch.float64) + 0.5 - cols / 2
    distances = torch.hypot(ys[:, None], xs[None, :])
    total = maps.sum((-2, -1))
    if (total <= 0).any():
        raise ValueError('an attention map sums to 0')
    distance = (maps * distances).sum((-2, -1)) / total
    if relative:
        distance = distance / (0.5 * float(np.hypot(rows, cols)))
    return distance


def _summary(values: torch.Tensor) -> Dict:
    values = values.double().cpu()
    return dict(
        mean=float(values.mean()),
        std=float(values.std(unbiased=False)),
        values=values.tolist())


def map_statistics(maps: torch.Tensor,
                   prefix_mass: Optional[torch.Tensor] = None,
                   mass: float = MASS) -> Dict:
    """Per image and mean / std over the images: the fraction of the
    patches inside the ``mass`` region, the centre distance (fraction of
    the half diagonal, and in patch sides), and the prefix mass if given.

    Args:
        maps (Tensor): (N, rows, cols).
        prefix_mass (Tensor, optional): (N, ).
    """
    region = mass_region(maps, mass)
    stats = dict(
        region_fraction=_summary(region.flatten(1).double().mean(-1)),
        centre_distance=_summary(centre_distance(maps)),
        centre_distance_patches=_summary(centre_distance(maps, False)))
    if prefix_mass is not None:
        stats['prefix_mass'] = _summary(prefix_mass)
    return stats


def uniform_reference(grid: Sequence[int], mass: float = MASS) -> Dict:
    """The region fraction and centre distance of a uniform map."""
    uniform = torch.ones(1, *grid, dtype=torch.float64)
    return dict(
        region_fraction=float(mass_region(uniform, mass).double().mean()),
        centre_distance=float(centre_distance(uniform)[0]),
        centre_distance_patches=float(centre_distance(uniform, False)[0]))


def _grid_of(images: torch.Tensor, patch_size: int) -> Tuple[int, int]:
    height, width = images.shape[-2:]
    if height % patch_size or width % patch_size:
        raise ValueError(f'image size {(height, width)} is not a multiple '
                         f'of the patch size {patch_size}')
    return height // patch_size, width // patch_size


def patch_map(weights: torch.Tensor,
              grid: Tuple[int, int]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Head-averaged weights of one query over the tokens -> the patch map.

    Args:
        weights (Tensor): (B, T) weights of the query over T tokens, the
            patches last (row-major) after T - rows * cols prefix tokens.
        grid (tuple): (rows, cols).

    Returns:
        tuple: maps (B, rows, cols) renormalized to sum to 1, and the mass
        on the prefix tokens (B, ), float64.
    """
    num_patches = grid[0] * grid[1]
    num_prefix = weights.shape[-1] - num_patches
    if num_prefix < 0:
        raise ValueError(f'{weights.shape[-1]} tokens, fewer than the '
                         f'{grid[0]}x{grid[1]} patches')
    weights = weights.double()
    patches = weights[:, num_prefix:]
    maps = patches / patches.sum(
        -1, keepdim=True).clamp_min(torch.finfo(torch.float64).tiny)
    return maps.view(-1, *grid), weights[:, :num_prefix].sum(-1)


@torch.no_grad()
def cls_attention_maps(
        backbone: nn.Module,
        images: torch.Tensor,
        batch_size: int = 16,
        patch_size: Optional[int] = None,
        forward: Optional[Callable] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
    """The head-averaged last-layer [CLS]-to-patch attention (CAE Fig. 6).

    Recorded with :func:`~mmcae.analysis.record_attention` (any mmcae or
    mmpretrain ViT); the last attention call of the forward is the last
    layer; its first token is the [CLS] query.

    Args:
        backbone (nn.Module): a ViT with a [CLS] token, in eval mode.
        images (Tensor): normalized images (N, 3, H, W).
        batch_size (int): images per forward.
        patch_size (int, optional): defaults to :func:`patch_size_of`.
        forward (callable, optional): runs the backbone on a batch;
            defaults to :func:`full_image_forward`.

    Returns:
        tuple: maps (N, rows, cols) float64 summing to 1 over the patches,
        and the [CLS] query's mass on the prefix tokens (N, ).

    Raises:
        ValueError: sizes that do not fit, or no prefix token.
    """
    if images.dim() != 4 or images.shape[0] == 0:
        raise ValueError('images must be a non-empty (N, C, H, W) batch, '
                         f'got shape {tuple(images.shape)}')
    grid = _grid_of(images, patch_size or patch_size_of(backbone))
    forward = forward or full_image_forward(backbone)
    device = next(backbone.parameters()).device
    maps, prefix = [], []
    with record_attention(
            backbone, reduce=lambda w: w[:, :, 0].mean(1).cpu()) as recorder:
        for start in range(0, images.shape[0], batch_size):
            recorder.clear()
            forward(images[start:start + batch_size].to(device))
            row = recorder.maps[-1]
            if row.shape[-1] <= grid[0] * grid[1]:
                raise ValueError(
                    f'{type(backbone).__name__}: the last layer has '
                    f'{row.shape[-1]} tokens for {grid[0]}x{grid[1]} '
                    'patches: no [CLS] token')
            batch_maps, batch_prefix = patch_map(row, grid)
            maps.append(batch_maps)
            prefix.append(batch_prefix)
    return torch.cat(maps), torch.cat(prefix)


def config_normalize(crops: np.ndarray, cfg) -> torch.Tensor:
    """uint8 RGB views -> the config model's input: the normalization of
    ``model.data_preprocessor``, or, as mmengine's runner falls back to
    it, of the top-level ``data_preprocessor`` (mmpretrain classifier
    configs)."""
    from .images import preprocessor_normalize
    if cfg.model.get('data_preprocessor') is None and \
            cfg.get('data_preprocessor') is not None:
        cfg = copy.deepcopy(cfg)
        cfg.model.data_preprocessor = cfg.data_preprocessor
    return preprocessor_normalize(crops, cfg)


def load_views(paths: Sequence[str],
               img_size: int,
               num_crops: int = 0,
               seed: int = 0) -> Dict[str, np.ndarray]:
    """The uint8 views the maps are drawn on: ``'whole'`` (the test view
    of each image) and, with ``num_crops``, ``'crops'`` (that many random
    resized crops of each image, :func:`mmcae.analysis.images.
    random_crops`, image-major) with their ``'crop_boxes'``."""
    from .images import load_image, random_crops
    views = dict(whole=np.stack([load_image(p, img_size) for p in paths]))
    if num_crops:
        crops, boxes = zip(*(random_crops(p, img_size, num_crops, seed)
                             for p in paths))
        views['crops'] = np.concatenate(crops)
        views['crop_boxes'] = np.concatenate(boxes)
    return views


def run_attention_maps(entries: Sequence[Dict],
                       paths: Sequence[str],
                       views: Dict[str, np.ndarray],
                       out_dir: str,
                       name: str,
                       mass: float = MASS,
                       num_show: int = 8,
                       record: Optional[Dict] = None) -> Dict:
    """Maps, regions and statistics of several models on the same views;
    figures and JSON written to ``out_dir``.

    Args:
        entries (list[dict]): per model: ``label``, ``patch_size``,
            ``maps`` (uint8 views (N, H, W, 3) -> :data:`MapFunction`'s
            result; the model's normalization is its own) and anything
            else to record (``kind``, ``source``, ``checkpoint``).
        paths (list[str]): the images.
        views (dict): :func:`load_views`'s result.
        out_dir (str): ``{name}.png`` (whole images), ``{name}_crops.png``
            and ``{name}.json``.
        num_show (int): images (views) per figure.
        record (dict, optional): more top-level JSON entries.

    Returns:
        dict: the JSON's content.
    """
    from .figures import plot_attention_overlays
    kinds = [k for k in ('whole', 'crops') if k in views]
    results, rows = [], {kind: [] for kind in kinds}
    for entry in entries:
        result = {k: v for k, v in entry.items() if k != 'maps'}
        for kind in kinds:
            try:
                maps, prefix = entry['maps'](views[kind])
            except ValueError as err:
                raise UserError(f'{entry["label"]}: {err}') from err
            result['grid'] = list(maps.shape[-2:])
            result[kind] = map_statistics(maps, prefix, mass)
            shown = maps[:num_show]
            rows[kind].append(
                (entry['label'], shown.numpy(), mass_region(shown,
                                                            mass).numpy()))
        result['uniform'] = uniform_reference(result['grid'], mass)
        results.append(result)
    os.makedirs(out_dir, exist_ok=True)
    figures = []
    for kind in kinds:
        figures.append(
            osp.join(out_dir,
                     name + ('' if kind == 'whole' else '_crops') + '.png'))
        plot_attention_overlays(views[kind][:num_show], rows[kind],
                                figures[-1], mass)
    out = dict(record or {})
    out.update(
        images=list(paths),
        num_images=len(paths),
        img_size=int(views['whole'].shape[1]),
        num_crops=len(views.get('crops', ())) // max(len(paths), 1),
        mass=mass,
        tie_rule=TIE_RULE,
        centre_distance_unit='fraction of the half diagonal '
        '(centre_distance_patches: patch sides)',
        figures=figures,
        json=osp.join(out_dir, name + '.json'),
        models=results)
    if 'crop_boxes' in views:
        out['crop_boxes'] = views['crop_boxes'].tolist()
    with open(out['json'], 'w') as f:
        json.dump(out, f, indent=1)
    return out


def run_cls_attention_maps(specs: Sequence[Tuple[str, Union[str, dict],
                                                 Optional[str], str]],
                           img_dir: Union[str, Sequence[str]],
                           num_images: Optional[int] = 8,
                           img_size: int = 224,
                           num_crops: int = 2,
                           patch_size: int = 16,
                           qkv_bias: Optional[str] = 'qkv',
                           batch_size: int = 16,
                           mass: float = MASS,
                           num_show: int = 8,
                           seed: int = 0,
                           out_dir: str = 'work_dirs/cls_attention_maps',
                           device: str = 'cpu',
                           trust: Optional[bool] = None,
                           cfg_options: Optional[dict] = None) -> Dict:
    """Last-layer [CLS] attention maps of several models (CAE Figs. 6, 10).

    Args:
        specs: (kind, source, checkpoint or None, label) per model:
            ``'config'`` models are analysed through their ``backbone``
            with the config's ``data_preprocessor`` normalization;
            ``'vit'`` models (source: an ``mmcae.ViT`` arch, with
            ``patch_size`` and ``qkv_bias``) load an encoder checkpoint
            of any layout the converter reads (CAE, MoCo v3, MAE, DINO,
            DeiT, mmcae...) and take ImageNet-normalized RGB. A None
            checkpoint keeps the random initialization (seed ``seed``).
        img_dir: image folder(s) or files (:func:`find_images`).
        num_crops (int): random crops per image (0: whole images only).
        seed (int): seed of the crops and of random inits.
        out_dir (str): ``cls_attention_maps.png``,
            ``cls_attention_maps_crops.png``, ``cls_attention_maps.json``.

    Returns:
        dict: the JSON's content.

    Raises:
        UserError: a missing file, a model that cannot be built or a
            checkpoint that does not fit (checked before any model work).
    """
    from mmcae.utils.config import load_config
    from .images import find_images, normalize
    from .models import analysed_backbone
    for _, _, checkpoint, _ in specs:  # fail before any model work
        if checkpoint is not None and not osp.isfile(checkpoint):
            raise UserError(f'checkpoint not found: {checkpoint}')
    paths = find_images(img_dir, num_images)
    views = load_views(paths, img_size, num_crops, seed)
    entries = []
    for kind, source, checkpoint, label in specs:
        backbone = analysed_backbone(kind, source, checkpoint, img_size,
                                     patch_size, qkv_bias, seed, trust,
                                     cfg_options)
        backbone.to(torch.device(device))
        cfg = load_config(source, cfg_options) if kind == 'config' else None
        try:
            patch = patch_size_of(backbone)
        except ValueError as err:
            raise UserError(f'{label}: {err}') from err

        def maps(crops, backbone=backbone, cfg=cfg, patch=patch):
            images = normalize(crops) if cfg is None else \
                config_normalize(crops, cfg)
            return cls_attention_maps(backbone, images, batch_size, patch)

        entries.append(
            dict(
                label=label,
                kind=kind,
                source=source,
                checkpoint=checkpoint,
                patch_size=patch,
                maps=maps))
    return run_attention_maps(
        entries,
        paths,
        views,
        out_dir,
        'cls_attention_maps',
        mass=mass,
        num_show=num_show,
        record=dict(
            seed=seed,
            map='last-layer [CLS] query, head-averaged, '
            'renormalized over the patch keys'))


def summary_lines(record: Dict) -> List[str]:
    """What the tools print: per model and view kind the region fraction
    and centre distance (mean +- std), a uniform map's, the files."""
    lines = []
    for model in record['models']:
        for kind in ('whole', 'crops'):
            if kind in model:
                region = model[kind]['region_fraction']
                distance = model[kind]['centre_distance']
                lines.append(
                    f'{model["label"]} ({kind}): {record["mass"]:.0%}-mass '
                    f'region {region["mean"]:.3f} +- {region["std"]:.3f} '
                    f'of patches, centre distance {distance["mean"]:.3f} '
                    f'+- {distance["std"]:.3f} half diagonals')
        uniform = model['uniform']
        lines.append(f'{model["label"]} (uniform map): region '
                     f'{uniform["region_fraction"]:.3f}, centre distance '
                     f'{uniform["centre_distance"]:.3f}')
    lines.append(f'wrote {", ".join(record["figures"])} and '
                 f'{record["json"]}')
    return lines
