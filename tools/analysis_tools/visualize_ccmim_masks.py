#!/usr/bin/env python
"""Which patches does ccMIM mask? A PNG grid as the paper's Fig. 3(a).

    python tools/analysis_tools/visualize_ccmim_masks.py CONFIG \\
        [--checkpoints A.pth B.pth ...] [--labels 'iter 0' '800 ep' ...] \\
        [--images FILE_OR_DIR ...] [--num-images 8] \\
        [--strategies importance_sampling importance random block] \\
        [--show-importance] [--seed 0] [--out ccmim_masks.png] \\
        [--save-json masks.json] [--cfg-options key=value ...]

Rows are images; the first column is the image as the model sees it
(short side resized to img_size / 0.875, centre crop to the encoder's
``img_size``), then one column per (checkpoint, strategy): the masked set
darkened (pixels x 0.3), the visible set as it is, and with
``--show-importance`` one column per checkpoint with its patch importance
(the [CLS] attention summed over the blocks, in the config's
``attention_direction``) as a red heat map. No checkpoint: the config's
random initialization (the paper's "Iter = 0"). Images: ``--images``
(files or folders), else ``--num-images`` evenly spaced images of the
config's training set.

The model runs in eval mode: no dropout or drop path, so for a seed the
only randomness left is the division's own (the uniform noise of
importance sampling, the blocks of block-wise division); the same
``--seed`` gives the same masks for every checkpoint, so columns differ
only by the model. (During pretraining ccMIM divides in train mode; the
demo and paper recipes use neither dropout nor drop path, so the division
is the same.) ``--save-json`` writes the masked patch indices and the
importance per image, to remake the figure elsewhere.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import DictAction
from PIL import Image, ImageDraw

from mmcae.utils.cli import run_tool
from mmcae.utils.config import load_config
from mmcae.utils.errors import UserError

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
DARKEN = 0.3
HEADER = 14


def load_image(path: str, img_size: int) -> np.ndarray:
    """The view the model gets: RGB, the short side resized to img_size /
    0.875 (bicubic), the centre img_size x img_size crop (uint8 HxWx3)."""
    image = Image.open(path).convert('RGB')
    short = int(round(img_size / 0.875))
    width, height = image.size
    scale = short / min(width, height)
    size = (max(img_size, int(round(width * scale))),
            max(img_size, int(round(height * scale))))
    image = image.resize(size, Image.BICUBIC)
    left = (size[0] - img_size) // 2
    top = (size[1] - img_size) // 2
    return np.asarray(image.crop((left, top, left + img_size,
                                  top + img_size)))


def find_images(inputs: Optional[Sequence[str]], cfg, count: int
                ) -> List[str]:
    """Image files from ``--images`` or the config's training set."""
    if inputs:
        paths = []
        for item in inputs:
            if osp.isdir(item):
                paths += sorted(
                    p for p in glob.glob(osp.join(item, '**', '*'),
                                         recursive=True)
                    if p.lower().endswith(IMAGE_SUFFIXES))
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
    from mmengine.registry import DATASETS, DefaultScope
    dataset_cfg = cfg.train_dataloader.dataset.to_dict()
    dataset_cfg['pipeline'] = []
    try:
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            dataset = DATASETS.build(dataset_cfg)
    except (FileNotFoundError, OSError) as error:
        raise UserError(
            f"the config's training set ({dataset_cfg.get('data_root')}) "
            f'cannot be read ({error}); pass --images or '
            '--cfg-options train_dataloader.dataset.data_root=DIR')
    if len(dataset) == 0:
        raise UserError("the config's training set is empty; pass --images")
    step = max(1, len(dataset) // max(1, count))
    return [dataset.get_data_info(i)['img_path']
            for i in range(0, len(dataset), step)][:count]


def build_ccmim(cfg):
    from mmengine.registry import MODELS, DefaultScope
    import mmcae.models  # noqa: F401
    model_type = cfg.model.get('type')
    if model_type not in ('mmcae.CcMIM', 'CcMIM'):
        raise UserError(f'the config builds {model_type!r}, not mmcae.CcMIM: '
                        'this tool shows the divisions of ccMIM models')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    return model


def load_weights(model, path: str) -> None:
    """Load a full ccMIM checkpoint (``state_dict`` of the whole model, as
    tools/train.py saves it) strictly."""
    from mmcae.utils.checkpoint_compat import load_local_checkpoint
    if not osp.isfile(path):
        raise UserError(f'checkpoint not found: {path}')
    state = load_local_checkpoint(path)
    if isinstance(state, dict) and 'state_dict' in state:
        state = state['state_dict']
    if not isinstance(state, dict):
        raise UserError(f'{path} holds no state dict')
    result = model.load_state_dict(state, strict=False)
    problems = list(result.missing_keys) + list(result.unexpected_keys)
    if problems:
        raise UserError(
            f'{path} does not fit the config\'s ccMIM model: missing '
            f'{list(result.missing_keys)[:5]}, unexpected '
            f'{list(result.unexpected_keys)[:5]} (a full pretraining '
            'checkpoint of this config is needed, not an encoder alone)')


def normalize(crops: np.ndarray, cfg) -> torch.Tensor:
    """uint8 RGB (N, H, W, 3) -> the model's input (N, 3, H, W)."""
    preprocessor = cfg.model.get('data_preprocessor') or {}
    mean = torch.tensor(preprocessor.get('mean', [0., 0., 0.])).view(
        1, 3, 1, 1)
    std = torch.tensor(preprocessor.get('std', [1., 1., 1.])).view(
        1, 3, 1, 1)
    images = torch.from_numpy(crops).permute(0, 3, 1, 2).float()
    if not preprocessor.get('to_rgb', False):
        images = images.flip(1)  # the model was trained on BGR
    return (images - mean) / std


def masked_view(crop: np.ndarray, mask: np.ndarray, patch: int
                ) -> np.ndarray:
    """The crop with the masked patches darkened."""
    grid_w = crop.shape[1] // patch
    out = crop.astype(np.float32)
    for index in np.flatnonzero(mask):
        row, col = divmod(int(index), grid_w)
        out[row * patch:(row + 1) * patch, col * patch:(col + 1) *
            patch] *= DARKEN
    return out.astype(np.uint8)


def heat_view(crop: np.ndarray, importance: np.ndarray, patch: int
              ) -> np.ndarray:
    """The crop in grey with the importance (scaled to [0, 1] per image)
    in red."""
    grid_w = crop.shape[1] // patch
    span = importance.max() - importance.min()
    scaled = (importance - importance.min()) / (span if span > 0 else 1.)
    heat = np.kron(scaled.reshape(-1, grid_w), np.ones((patch, patch)))
    grey = crop.mean(axis=2, keepdims=True).repeat(3, axis=2) * 0.5
    grey[..., 0] += 127 * heat
    return np.clip(grey, 0, 255).astype(np.uint8)


def render(columns: List[str], tiles: List[List[np.ndarray]], scale: int
           ) -> Image.Image:
    """Tiles (rows x columns, each HxWx3) under a header of column labels."""
    size = tiles[0][0].shape[0] * scale
    canvas = Image.new('RGB', (size * len(columns),
                               HEADER + size * len(tiles)), 'white')
    draw = ImageDraw.Draw(canvas)
    for col, label in enumerate(columns):
        draw.text((col * size + 2, 1), label[:max(4, size // 6)],
                  fill='black')
    for row, row_tiles in enumerate(tiles):
        for col, tile in enumerate(row_tiles):
            image = Image.fromarray(tile)
            if scale > 1:
                image = image.resize((size, size), Image.NEAREST)
            canvas.paste(image, (col * size, HEADER + row * size))
    return canvas


def main(argv: Optional[List[str]] = None) -> Tuple[str, dict]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--checkpoints', nargs='+', default=[])
    parser.add_argument('--labels', nargs='+',
                        help='one per checkpoint (default: file names)')
    parser.add_argument('--images', nargs='+')
    parser.add_argument('--num-images', type=int, default=8)
    parser.add_argument(
        '--strategies', nargs='+',
        choices=['importance_sampling', 'importance', 'random', 'block'],
        help="default: the config's strategy")
    parser.add_argument('--show-importance', action='store_true')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--scale', type=int, default=0,
                        help='tile magnification (default: to ~128 px)')
    parser.add_argument('--out', default='ccmim_masks.png')
    parser.add_argument('--save-json')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    if args.labels and len(args.labels) != len(args.checkpoints):
        parser.error('--labels needs one label per checkpoint')

    from mmcae.models.utils import ContextualPatchDivider
    cfg = load_config(args.config, args.cfg_options)
    model = build_ccmim(cfg)
    backbone = model.backbone
    img_size = backbone.img_size[0]
    patch = backbone.patch_size
    paths = find_images(args.images, cfg, args.num_images)
    crops = np.stack([load_image(p, img_size) for p in paths])
    images = normalize(crops, cfg)
    strategies = args.strategies or [model.divider.strategy]
    checkpoints = args.checkpoints or [None]
    labels = args.labels or [
        osp.splitext(osp.basename(c))[0] if c else 'init'
        for c in checkpoints
    ]

    columns = ['image']
    tiles = [[crop] for crop in crops]
    entries = []
    for checkpoint, label in zip(checkpoints, labels):
        torch.manual_seed(args.seed)
        model.init_weights()
        if checkpoint:
            load_weights(model, checkpoint)
        model.eval()
        with torch.no_grad():
            importance = backbone.cls_attention(
                images, model.attention_direction).sum(dim=1)
        for strategy in strategies:
            model.divider = ContextualPatchDivider(
                backbone.patch_resolution, model.divider.mask_ratio,
                strategy)
            generator = torch.Generator().manual_seed(args.seed)
            mask, _ = model.divide(images, generator=generator)
            mask = mask.numpy()
            columns.append(f'{label} {strategy}')
            for row, crop in enumerate(crops):
                tiles[row].append(masked_view(crop, mask[row], patch))
            entries.append(
                dict(checkpoint=checkpoint, label=label, strategy=strategy,
                     masked=[np.flatnonzero(m).tolist() for m in mask]))
        if args.show_importance:
            columns.append(f'{label} importance')
            for row, crop in enumerate(crops):
                tiles[row].append(
                    heat_view(crop, importance[row].numpy(), patch))
        entries.append(
            dict(checkpoint=checkpoint, label=label, strategy=None,
                 importance=importance.tolist()))
    scale = args.scale or max(1, 128 // img_size)
    canvas = render(columns, tiles, scale)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    canvas.save(args.out)
    record = dict(
        config=args.config, images=paths, columns=columns,
        grid=list(backbone.patch_resolution), patch_size=patch,
        img_size=img_size, scale=scale, header=HEADER, darken=DARKEN,
        num_masked=model.divider.num_masked, seed=args.seed,
        attention_direction=model.attention_direction, entries=entries)
    if args.save_json:
        with open(args.save_json, 'w') as f:
            json.dump(record, f)
    print(f'{args.out}: {len(paths)} images x {len(columns)} columns '
          f'({", ".join(columns)})')
    return args.out, record


if __name__ == '__main__':
    sys.exit(run_tool(main) and 0)
