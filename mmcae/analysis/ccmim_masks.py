"""Which patches does ccMIM mask? The grid of the ccMIM paper's Fig. 3 (a):
per image the test view, then per (checkpoint, division strategy) the
view with the masked patches darkened, optionally the patch importance.

The division itself is the model's (:meth:`mmcae.CcMIM.divide` with a
:class:`mmcae.models.utils.ContextualPatchDivider` of each strategy); this
module runs it on fixed images and draws the result.

Mode and randomness: the model runs in eval mode. ccMIM divides in train
mode during pretraining, but the only modules whose train behaviour differs
are dropout / drop path (none in the demo and paper recipes, so the
division is the same) and the projector's BatchNorm (not used by the
division). Eval mode makes the importance deterministic: the only
randomness left is the division's own (the uniform noise of importance
sampling and random division, the blocks of block-wise division), drawn
from a ``torch.Generator`` seeded with ``seed`` for every (checkpoint,
strategy) column. The same seed gives the same noise to every checkpoint,
so columns differ only by the model, and the same masks in every run.
"""
import json
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from PIL import Image, ImageDraw

from mmcae.utils.errors import UserError

STRATEGIES = ('importance_sampling', 'importance', 'random', 'block')
INIT = 'init'  # a checkpoint name: the config's random initialization
DARKEN = 0.3  # masked pixels are multiplied by this
LINE = 13  # pixels per header text line
HEADER = 2 * LINE + 2  # two lines: checkpoint label, strategy


def init_seed(cfg) -> int:
    """The seed of the config's random init: ``randomness.seed``, else 0."""
    seed = (cfg.get('randomness') or {}).get('seed')
    return 0 if seed is None else int(seed)


def build_ccmim(cfg, seed: Optional[int] = None):
    """The config's model, randomly initialized (``init_weights``) from
    ``seed`` (default: :func:`init_seed`).

    Raises:
        UserError: the config's model is not an ``mmcae.CcMIM``.
    """
    from mmcae.models import CcMIM
    from .models import build_model
    model_type = cfg.model.get('type')
    if model_type not in ('mmcae.CcMIM', 'CcMIM', CcMIM):
        raise UserError(f'the config builds {model_type!r}, not mmcae.CcMIM: '
                        'this tool shows the divisions of ccMIM models')
    model = build_model(cfg, init_seed(cfg) if seed is None else seed)
    if not isinstance(model, CcMIM):
        raise UserError(f'the config builds {type(model).__name__}, not '
                        'mmcae.CcMIM')
    return model


def masked_view(crop: np.ndarray, mask: np.ndarray, patch: int) -> np.ndarray:
    """The crop with the masked patches darkened (x ``DARKEN``)."""
    grid_w = crop.shape[1] // patch
    factor = np.kron(
        np.where(mask, DARKEN, 1.).reshape(-1, grid_w), np.ones(
            (patch, patch)))
    out = crop.astype(np.float32)
    out[:factor.shape[0], :factor.shape[1]] *= factor[..., None]
    return out.astype(np.uint8)


def heat_view(crop: np.ndarray, importance: np.ndarray,
              patch: int) -> np.ndarray:
    """The crop in dimmed grey with the importance (scaled to [0, 1] per
    image) in red."""
    grid_w = crop.shape[1] // patch
    span = importance.max() - importance.min()
    scaled = (importance - importance.min()) / (span if span > 0 else 1.)
    heat = np.kron(scaled.reshape(-1, grid_w), np.ones((patch, patch)))
    grey = crop.mean(axis=2, keepdims=True).repeat(3, axis=2) * 0.5
    grey[:heat.shape[0], :heat.shape[1], 0] += 127 * heat
    return np.clip(grey, 0, 255).astype(np.uint8)


def _fit(draw: ImageDraw.ImageDraw, text: str, width: int) -> str:
    """``text`` cut to ``width`` pixels of the default font."""
    if draw.textlength(text) <= width:
        return text
    while text and draw.textlength(text + '..') > width:
        text = text[:-1]
    return text + '..'


def render(columns: List[Tuple[str, str]], tiles: List[List[np.ndarray]],
           scale: int) -> Image.Image:
    """Tiles (rows x columns, each HxWx3) under a header of two-line column
    labels; tile (r, c) at (c * W * scale, HEADER + r * H * scale)."""
    tile_h, tile_w = (s * scale for s in tiles[0][0].shape[:2])
    canvas = Image.new('RGB',
                       (tile_w * len(columns), HEADER + tile_h * len(tiles)),
                       'white')
    draw = ImageDraw.Draw(canvas)
    for col, lines in enumerate(columns):
        for line, text in enumerate(lines):
            draw.text((col * tile_w + 2, 1 + line * LINE),
                      _fit(draw, text, tile_w - 4),
                      fill='black')
    for row, row_tiles in enumerate(tiles):
        for col, tile in enumerate(row_tiles):
            image = Image.fromarray(tile)
            if scale > 1:
                image = image.resize((tile_w, tile_h), Image.NEAREST)
            canvas.paste(image, (col * tile_w, HEADER + row * tile_h))
    return canvas


def draw_ccmim_masks(config: str,
                     checkpoints: Sequence[str] = (INIT, ),
                     labels: Optional[Sequence[str]] = None,
                     images: Optional[Sequence[str]] = None,
                     num_images: Optional[int] = None,
                     strategies: Optional[Sequence[str]] = None,
                     show_importance: bool = False,
                     seed: int = 0,
                     scale: int = 0,
                     out: str = 'ccmim_masks.png',
                     save_json: Optional[str] = None,
                     trust: Optional[bool] = None,
                     cfg_options: Optional[dict] = None) -> Tuple[str, dict]:
    """Draw the grid (rows: images; columns: the image, then per checkpoint
    one per strategy and, with ``show_importance``, the importance map).

    Args:
        config (str): a ccMIM (``mmcae.CcMIM``) config.
        checkpoints (Sequence[str]): full ccMIM checkpoints of the config's
            model (``state_dict`` of the whole self-supervisor), loaded
            strictly; :data:`INIT` is the config's random initialization.
        labels (Sequence[str], optional): one per checkpoint (default: the
            file names, or ``init``).
        images (Sequence[str], optional): files or folders (default: a
            fixed sample of the config's training set).
        num_images (int, optional): default all of ``images``, 8 of the
            training set.
        strategies (Sequence[str], optional): divisions to show (default:
            the config's ``mask_strategy``).
        show_importance (bool): a heat-map column per checkpoint.
        seed (int): seed of the division noise.
        scale (int): tile magnification (0: tiles of about 128 px).
        out (str): the PNG.
        save_json (str, optional): also write the record here.
        trust, cfg_options: checkpoint trust; config overrides.

    Returns:
        tuple[str, dict]: the PNG path and the record: images, columns,
        per column the masked patch indices (row-major in the patch grid)
        and per checkpoint the importance per image, with everything
        needed to remake the figure (grid, patch size, tile scale, header
        height, darkening factor, seed).

    Raises:
        UserError: a missing file, a config that is not ccMIM, a
            checkpoint that does not fit, no images.
    """
    from mmcae.models.utils import ContextualPatchDivider
    from mmcae.utils.config import load_config
    from .images import (find_images, load_image, preprocessor_normalize,
                         sample_training_images)
    from .models import load_checkpoint
    cfg = load_config(config, cfg_options)
    checkpoints = list(checkpoints) or [INIT]
    for checkpoint in checkpoints:  # fail before any model work
        if checkpoint != INIT and not osp.isfile(checkpoint):
            raise UserError(f'checkpoint not found: {checkpoint}')
    labels = list(labels or [
        INIT if c == INIT else osp.splitext(osp.basename(c))[0]
        for c in checkpoints
    ])
    if len(labels) != len(checkpoints):
        raise UserError('--labels needs one label per checkpoint')
    model = build_ccmim(cfg)
    backbone = model.backbone
    img_size = tuple(backbone.img_size)
    patch = backbone.patch_size
    grid = tuple(backbone.patch_resolution)
    if images:
        paths = find_images(images, num_images)
    else:
        if num_images is not None and num_images < 1:
            raise UserError(f'--num-images must be >= 1, got {num_images}')
        paths = sample_training_images(cfg, num_images or 8)
    crops = np.stack([load_image(p, img_size) for p in paths])
    inputs = preprocessor_normalize(crops, cfg)
    strategies = list(strategies or [model.divider.strategy])
    divider_args = dict(
        mask_ratio=model.divider.mask_ratio,
        block_min_num_patches=cfg.model.get('block_min_num_patches', 16),
        block_min_aspect=cfg.model.get('block_min_aspect', 0.3))

    columns = [('image', '')]
    tiles = [[crop] for crop in crops]
    entries = []
    for index, (checkpoint, label) in enumerate(zip(checkpoints, labels)):
        if index:  # a fresh model: init_weights runs once per module
            model = build_ccmim(cfg)
            backbone = model.backbone
        if checkpoint != INIT:
            load_checkpoint(
                model, checkpoint, None, trust, strict=True,
                target="the config's ccMIM model",
                advice='A full pretraining checkpoint of this config is '
                'needed, not an encoder alone or another architecture')
        model.eval()
        with torch.no_grad():
            importance = backbone.cls_attention(
                inputs, model.attention_direction).sum(dim=1)
        for strategy in strategies:
            model.divider = ContextualPatchDivider(
                grid, strategy=strategy, **divider_args)
            generator = torch.Generator().manual_seed(seed)
            mask = model.divide(inputs, generator=generator)[0].numpy()
            entries.append(
                dict(
                    column=len(columns),
                    checkpoint=checkpoint,
                    label=label,
                    strategy=strategy,
                    masked=[np.flatnonzero(m).tolist() for m in mask]))
            columns.append((label, strategy))
            for row, crop in enumerate(crops):
                tiles[row].append(masked_view(crop, mask[row], patch))
        entry = dict(
            column=None,
            checkpoint=checkpoint,
            label=label,
            strategy=None,
            importance=importance.tolist())
        if show_importance:
            entry['column'] = len(columns)
            columns.append((label, 'importance map'))
            for row, crop in enumerate(crops):
                tiles[row].append(
                    heat_view(crop, importance[row].numpy(), patch))
        entries.append(entry)
    scale = scale or max(1, 128 // max(img_size))
    canvas = render(columns, tiles, scale)
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    canvas.save(out)
    record = dict(
        config=config,
        images=paths,
        columns=[' '.join(c).strip() for c in columns],
        grid=list(grid),
        patch_size=patch,
        img_size=list(img_size),
        scale=scale,
        header=HEADER,
        darken=DARKEN,
        num_masked=model.divider.num_masked,
        mask_ratio=model.divider.mask_ratio,
        seed=seed,
        init_seed=init_seed(cfg),
        attention_direction=model.attention_direction,
        mode='eval',
        entries=entries)
    if save_json:
        os.makedirs(osp.dirname(osp.abspath(save_json)), exist_ok=True)
        with open(save_json, 'w') as f:
            json.dump(record, f)
    return out, record
