#!/usr/bin/env python
"""Which patches does ccMIM mask? A PNG grid as the paper's Fig. 3(a).

    python tools/analysis_tools/visualize_ccmim_masks.py CONFIG \\
        [--checkpoints init A.pth B.pth ...] [--labels 'iter 0' '800 ep' ..] \\
        [--images FILE_OR_DIR ...] [--num-images 8] \\
        [--strategies importance_sampling importance random block] \\
        [--show-importance] [--seed 0] [--out ccmim_masks.png] \\
        [--save-json masks.json] [--scale N] [--trust-checkpoint] \\
        [--cfg-options key=value ...]

Rows are images. The first column is the image as the model sees it, the
config's test view: the image scaled so that the encoder's ``img_size``
is 87.5 % of it (for square crops: the short side resized to img_size /
0.875, bicubic), then the centre ``img_size`` crop; the model gets it
normalized with the config's ``data_preprocessor`` mean / std (in BGR
order if ``to_rgb`` is off, as mmcv loads images). Then one column per
(checkpoint, strategy): the masked set (the patches ccMIM hides from the
encoder's visible branch, the "context") darkened to 30 % of their
pixels, the visible set unchanged. With ``--show-importance`` one more
column per checkpoint: the patch importance (the [CLS] attention summed
over the blocks, in the config's ``attention_direction``), scaled to
[0, 1] per image, in red over the grey image.

Checkpoints: full ccMIM checkpoints of the config's model (what
tools/train.py saves, ``state_dict`` of the whole self-supervisor; an
encoder alone does not fit), loaded strictly through
:func:`mmcae.utils.checkpoint_compat.load_local_checkpoint`. The word
``init`` in ``--checkpoints``, or no ``--checkpoints`` at all, is the
config's random initialization (the paper's "Iter = 0"), drawn with the
config's ``randomness.seed`` (0 if unset), so it is the same in every run.

Images: ``--images`` (files, or folders searched recursively for
.jpg/.jpeg/.png/.bmp/.webp, sorted; all of them unless ``--num-images``),
else ``--num-images`` (default 8) images of the config's training set,
a fixed sample (NumPy seed 0, whatever ``--seed``; in file-list order), so
every run shows the same images.

Mode and randomness: the model runs in eval mode. ccMIM divides in train
mode during pretraining, but the only modules whose train behaviour differs
are dropout / drop path (none in the demo and paper recipes, so the
division is the same) and the projector's BatchNorm (not used by the
division). Eval mode makes the importance deterministic: the only
randomness left is the division's own (the uniform noise of importance
sampling and random division, the blocks of block-wise division), drawn
from a ``torch.Generator`` seeded with ``--seed`` for every (checkpoint,
strategy) column. The same seed gives the same noise to every checkpoint,
so columns differ only by the model, and the same masks in every run.

``--save-json`` writes the images, the columns and, per column, the
masked patch indices (row-major in the patch grid) and the importance per
image, with everything needed to remake the figure (grid, patch size,
tile scale, header height, darkening factor, seed).

CPU only (small batches of images; a ViT-B takes seconds).
"""
import argparse
import glob
import json
import logging
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import DictAction
from PIL import Image, ImageDraw

from mmcae.utils.checkpoint_compat import (UnsafeCheckpointError,
                                           load_local_checkpoint)
from mmcae.utils.cli import run_tool
from mmcae.utils.config import load_config
from mmcae.utils.errors import UserError

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
STRATEGIES = ('importance_sampling', 'importance', 'random', 'block')
INIT = 'init'  # in --checkpoints: the config's random initialization
DARKEN = 0.3  # masked pixels are multiplied by this
CROP_RATIO = 0.875  # the crop is this fraction of the resized image
LINE = 13  # pixels per header text line
HEADER = 2 * LINE + 2  # two lines: checkpoint label, strategy


def _pair(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    if isinstance(size, int):
        return size, size
    return int(size[0]), int(size[1])


def load_image(path: str, img_size: Union[int, Sequence[int]]) -> np.ndarray:
    """The view the model gets, as uint8 RGB (H, W, 3).

    The image is resized (bicubic, aspect kept) so that the crop covers
    ``CROP_RATIO`` of it in its tighter direction (a square crop: the short
    side becomes img_size / 0.875, as mmpretrain's ImageNet test view),
    then the centre ``img_size`` (int or (H, W)) is cut out.
    """
    crop_h, crop_w = _pair(img_size)
    try:
        image = Image.open(path).convert('RGB')
    except OSError as err:
        raise UserError(f'cannot read image {path}: {err}')
    width, height = image.size
    scale = max(crop_h / (CROP_RATIO * height), crop_w / (CROP_RATIO * width))
    size = (max(crop_w, int(round(width * scale))),
            max(crop_h, int(round(height * scale))))
    image = image.resize(size, Image.BICUBIC)
    left = (size[0] - crop_w) // 2
    top = (size[1] - crop_h) // 2
    return np.asarray(image.crop((left, top, left + crop_w, top + crop_h)))


def find_images(inputs: Optional[Sequence[str]], cfg,
                count: Optional[int]) -> List[str]:
    """Image files from ``--images`` or the config's training set."""
    if count is not None and count < 1:
        raise UserError(f'--num-images must be >= 1, got {count}')
    if inputs:
        paths = []
        for item in inputs:
            if osp.isdir(item):
                paths += sorted(
                    p for p in glob.glob(
                        osp.join(item, '**', '*'), recursive=True)
                    if p.lower().endswith(IMAGE_SUFFIXES) and osp.isfile(p))
            elif osp.isfile(item):
                paths.append(item)
            else:
                raise UserError(f'--images: {item} is neither a file nor a '
                                'folder')
        if not paths:
            suffixes = ', '.join(IMAGE_SUFFIXES)
            raise UserError(f'--images: no image files ({suffixes}) in '
                            f'{list(inputs)}')
        return paths[:count] if count else paths
    count = count or 8
    from mmengine.registry import DATASETS, DefaultScope
    dataset_cfg = cfg.train_dataloader.dataset.to_dict()
    dataset_cfg['pipeline'] = []
    root = dataset_cfg.get('data_root')
    try:
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            dataset = DATASETS.build(dataset_cfg)
    except (FileNotFoundError, OSError, RuntimeError, AssertionError,
            ValueError) as error:
        raise UserError(
            f"the config's training set ({root}) cannot be read ({error}); "
            'pass --images, or --cfg-options '
            'train_dataloader.dataset.data_root=DIR')
    if len(dataset) == 0:
        raise UserError(f"the config's training set ({root}) holds no "
                        'images; pass --images')
    # a fixed sample (not evenly spaced: the file lists of class-interleaved
    # sets such as the demo one would give a single class)
    chosen = np.random.default_rng(0).choice(
        len(dataset), min(count, len(dataset)), replace=False)
    return [dataset.get_data_info(int(i))['img_path'] for i in sorted(chosen)]


def _init_seed(cfg) -> int:
    seed = (cfg.get('randomness') or {}).get('seed')
    return 0 if seed is None else int(seed)


def build_ccmim(cfg, seed: Optional[int] = None):
    """The config's model, randomly initialized (``init_weights``) from
    ``seed`` (default: the config's ``randomness.seed``, else 0).

    Raises:
        UserError: the config's model is not an ``mmcae.CcMIM``.
    """
    from mmengine.logging import MMLogger
    from mmengine.registry import MODELS, DefaultScope

    from mmcae.models import CcMIM
    model_type = cfg.model.get('type')
    if model_type not in ('mmcae.CcMIM', 'CcMIM', CcMIM):
        raise UserError(f'the config builds {model_type!r}, not mmcae.CcMIM: '
                        'this tool shows the divisions of ccMIM models')
    torch.manual_seed(_init_seed(cfg) if seed is None else seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    if not isinstance(model, CcMIM):
        raise UserError(f'the config builds {type(model).__name__}, not '
                        'mmcae.CcMIM')
    # no per-parameter init report (mmengine logs it at INFO)
    try:
        logger = MMLogger.get_current_instance()
    except RuntimeError:
        logger = MMLogger.get_instance('visualize_ccmim_masks')
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    return model


def load_weights(model, path: str, trust: Optional[bool] = None) -> None:
    """Load a full ccMIM checkpoint (``state_dict`` of the whole model, as
    tools/train.py saves it) strictly; every mismatch names the file."""
    try:
        checkpoint = load_local_checkpoint(
            path, map_location='cpu', trust=trust)
    except FileNotFoundError:
        raise UserError(f'checkpoint not found: {path}')
    except (UnsafeCheckpointError, UserError):
        raise  # already one message naming the file
    except Exception as err:  # truncated or not a torch file at all
        raise UserError(f'{path} is not a readable checkpoint '
                        f'({type(err).__name__}: {err})')
    state = checkpoint
    if isinstance(state, dict) and isinstance(state.get('state_dict'), dict):
        state = state['state_dict']
    if not isinstance(state, dict) or not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise UserError(f'{path} holds no state dict of tensors (expected '
                        "a checkpoint with a 'state_dict' of the model)")
    if all(k.startswith('module.') for k in state):  # saved from DDP
        state = {k[len('module.'):]: v for k, v in state.items()}
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    mismatched = [
        f'{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}' for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if missing or unexpected or mismatched:
        raise UserError(
            f"{path} does not fit the config's ccMIM model: "
            f'{len(missing)} missing keys {missing[:4]}, {len(unexpected)} '
            f'unexpected keys {unexpected[:4]}, {len(mismatched)} shape '
            f'mismatches (checkpoint vs model) {mismatched[:4]}. A full '
            'pretraining checkpoint of this config is needed, not an '
            'encoder alone or another architecture')
    model.load_state_dict(state, strict=True)


def normalize(crops: np.ndarray, cfg) -> torch.Tensor:
    """uint8 RGB (N, H, W, 3) -> the model's input (N, 3, H, W), as the
    config's data_preprocessor makes it from mmcv's BGR images."""
    preprocessor = cfg.model.get('data_preprocessor') or {}
    mean = torch.tensor(
        preprocessor.get('mean', [0., 0., 0.]),
        dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(
        preprocessor.get('std', [1., 1., 1.]),
        dtype=torch.float32).view(1, -1, 1, 1)
    images = torch.from_numpy(crops).permute(0, 3, 1, 2).float()
    to_rgb = preprocessor.get('to_rgb', False) or preprocessor.get(
        'bgr_to_rgb', False)
    if not to_rgb:
        images = images.flip(1)  # the model was trained on BGR
    return (images - mean) / std


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


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='visualize_ccmim_masks.py',
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.split('\n')[1:]))
    parser.add_argument('config', help='a ccMIM (mmcae.CcMIM) config')
    parser.add_argument(
        '--checkpoints',
        nargs='+',
        default=[],
        help=f'full ccMIM checkpoints; {INIT!r} = the random '
        'initialization (default: that alone)')
    parser.add_argument(
        '--labels',
        nargs='+',
        help='one per checkpoint (default: file names, or init)')
    parser.add_argument(
        '--images',
        nargs='+',
        help='image files or folders (default: the '
        "config's training set)")
    parser.add_argument(
        '--num-images',
        type=int,
        help='images to show (default: 8 of the training set, all of '
        '--images)')
    parser.add_argument(
        '--strategies',
        nargs='+',
        choices=STRATEGIES,
        help="divisions to show (default: the config's mask_strategy)")
    parser.add_argument(
        '--show-importance',
        action='store_true',
        help='a heat-map column per checkpoint')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the division noise (default 0)')
    parser.add_argument(
        '--scale',
        type=int,
        default=0,
        help='tile magnification (default: tiles of about 128 px)')
    parser.add_argument(
        '--out', default='ccmim_masks.png', help='the PNG grid')
    parser.add_argument(
        '--save-json', help='also write masks and importance here')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow full unpickling of checkpoints that torch cannot load '
        'safely (old mmengine files)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys')
    args = parser.parse_args(argv)
    if args.labels and len(args.labels) != len(args.checkpoints or [INIT]):
        parser.error('--labels needs one label per checkpoint')
    if args.scale < 0:
        parser.error('--scale must be >= 0')
    return args


def main(argv: Optional[List[str]] = None) -> Tuple[str, dict]:
    """Draw the grid; return the PNG path and the record (the JSON's
    content)."""
    args = parse_args(argv)
    from mmcae.models.utils import ContextualPatchDivider
    cfg = load_config(args.config, args.cfg_options)
    checkpoints = args.checkpoints or [INIT]
    for checkpoint in checkpoints:  # fail before any model work
        if checkpoint != INIT and not osp.isfile(checkpoint):
            raise UserError(f'checkpoint not found: {checkpoint}')
    labels = args.labels or [
        INIT if c == INIT else osp.splitext(osp.basename(c))[0]
        for c in checkpoints
    ]
    model = build_ccmim(cfg)
    backbone = model.backbone
    img_size = tuple(backbone.img_size)
    patch = backbone.patch_size
    grid = tuple(backbone.patch_resolution)
    paths = find_images(args.images, cfg, args.num_images)
    crops = np.stack([load_image(p, img_size) for p in paths])
    images = normalize(crops, cfg)
    strategies = args.strategies or [model.divider.strategy]
    divider_args = dict(
        mask_ratio=model.divider.mask_ratio,
        block_min_num_patches=cfg.model.get('block_min_num_patches', 16),
        block_min_aspect=cfg.model.get('block_min_aspect', 0.3))
    trust = True if args.trust_checkpoint else None

    columns = [('image', '')]
    tiles = [[crop] for crop in crops]
    entries = []
    for index, (checkpoint, label) in enumerate(zip(checkpoints, labels)):
        if index:  # a fresh model: init_weights runs once per module
            model = build_ccmim(cfg)
            backbone = model.backbone
        if checkpoint != INIT:
            load_weights(model, checkpoint, trust)
        model.eval()
        with torch.no_grad():
            importance = backbone.cls_attention(
                images, model.attention_direction).sum(dim=1)
        for strategy in strategies:
            model.divider = ContextualPatchDivider(
                grid, strategy=strategy, **divider_args)
            generator = torch.Generator().manual_seed(args.seed)
            mask = model.divide(images, generator=generator)[0].numpy()
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
        if args.show_importance:
            entry['column'] = len(columns)
            columns.append((label, 'importance map'))
            for row, crop in enumerate(crops):
                tiles[row].append(
                    heat_view(crop, importance[row].numpy(), patch))
        entries.append(entry)
    scale = args.scale or max(1, 128 // max(img_size))
    canvas = render(columns, tiles, scale)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    canvas.save(args.out)
    record = dict(
        config=args.config,
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
        seed=args.seed,
        init_seed=_init_seed(cfg),
        attention_direction=model.attention_direction,
        mode='eval',
        entries=entries)
    if args.save_json:
        os.makedirs(osp.dirname(osp.abspath(args.save_json)), exist_ok=True)
        with open(args.save_json, 'w') as f:
            json.dump(record, f)
    print(f'{args.out}: {len(paths)} images x {len(columns)} columns '
          f'({", ".join(record["columns"])})')
    return args.out, record


if __name__ == '__main__':
    sys.exit(run_tool(main))
