#!/usr/bin/env python
"""Mean attention distance per layer and head: Uni-SSL Fig. 3 (a), (b).

    python tools/analysis_tools/attention_distance.py \\
        --model CONFIG CHECKPOINT LABEL [--model ...] \\
        [--vit CHECKPOINT LABEL ...] [--arch base] [--patch-size 16] \\
        --img-dir DIR [--num-images 50] [--img-size 224] \\
        [--out-dir work_dirs/attention_distance] [--device cpu] \\
        [--random-init] [--prefix-weights renormalize|as-is] \\
        [--label-name 'mask ratio']

Models: ``--model CONFIG CHECKPOINT LABEL`` builds the config's model and
analyses its ``backbone`` (the model itself if it has none); CHECKPOINT
is a checkpoint of the config's model (every ``backbone.`` key must fit),
or the word ``random`` for the config's random initialization.
``--vit CHECKPOINT LABEL`` loads an encoder checkpoint of any layout
:func:`mmcae.checkpoint.load_vit_pretrained` converts (MAE, DINO, DeiT,
timm, mmpretrain, mmcae...) into an ``mmcae.ViT`` of ``--arch`` (a name
such as ``base``, or a JSON dict with embed_dims, num_layers, num_heads,
mlp_hidden_dims), ``--patch-size`` and ``--qkv-bias``. ``--random-init``
skips every checkpoint: all models keep their random initialization
(seeded with ``--seed``), to try the tool out.

Images: the ``--img-dir`` images (searched recursively for
.jpg/.jpeg/.png, sorted), the first ``--num-images``; each resized
(bicubic) so its shorter side is ``img_size * 256 / 224`` and centre
cropped to ``--img-size`` (default 224: the ImageNet test view),
normalized with the ImageNet mean and std (RGB). The backbones run on
whole images (no masking) in eval mode.

Distance: per head, the attention-weighted distance in pixels between the
query patch and the key patch centres, averaged over query patches and
images (:func:`mmcae.analysis.attention_distance`). Prefix tokens ([CLS])
are neither queries nor keys; ``--prefix-weights renormalize`` (default)
renormalizes each query's weights over the patch keys, ``as-is`` keeps
them (attention to [CLS] then counts as distance 0); see
:mod:`mmcae.analysis.attention_distance` for why.

Output in ``--out-dir``: ``attention_distance.png`` (Fig. 3 (a): per
layer, a dot per head and a line through the mean, one colour per
model), ``attention_distance_by_label.png`` when every label is a number,
e.g. a mask ratio (Fig. 3 (b): the same, coloured by the label's value),
and ``attention_distance.json`` with every number.
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np
import torch

from mmcae.analysis.attention_distance import add_run_arguments
from mmcae.utils.cli import run_tool
from mmcae.utils.errors import UserError

RANDOM = 'random'  # CHECKPOINT word for the random initialization


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='attention_distance.py',
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.split('\n')[1:]))
    parser.add_argument(
        '--model',
        nargs=3,
        action='append',
        default=[],
        metavar=('CONFIG', 'CHECKPOINT', 'LABEL'),
        help=f'a config, its checkpoint (or {RANDOM!r}) and a label')
    parser.add_argument(
        '--vit',
        nargs=2,
        action='append',
        default=[],
        metavar=('CHECKPOINT', 'LABEL'),
        help='an encoder checkpoint loaded into an mmcae.ViT of --arch')
    parser.add_argument(
        '--arch',
        default='base',
        help="mmcae.ViT arch for --vit: a name or a JSON dict "
        "(default 'base')")
    parser.add_argument(
        '--patch-size', type=int, default=16, help='for --vit (default 16)')
    parser.add_argument(
        '--qkv-bias',
        choices=['qkv', 'qv', 'none'],
        default='qkv',
        help="for --vit: 'qkv' (ViT, MAE, DINO, DeiT; default) or 'qv' "
        '(BEiT, CAE)')
    parser.add_argument('--img-dir', required=True, help='image folder')
    parser.add_argument(
        '--num-images', type=int, default=50, help='images (default 50)')
    parser.add_argument(
        '--img-size', type=int, default=224, help='crop size (default 224)')
    parser.add_argument(
        '--batch-size', type=int, default=16, help='images per forward')
    parser.add_argument(
        '--prefix-weights',
        choices=['renormalize', 'as-is'],
        default='renormalize',
        help='weights over the patch keys (default renormalize)')
    parser.add_argument(
        '--random-init',
        action='store_true',
        help='load no checkpoint: analyse randomly initialized models')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of random inits')
    parser.add_argument(
        '--label-name',
        default='label',
        help='what numeric labels are, for the colour bar of Fig. 3 (b)')
    add_run_arguments(parser, 'work_dirs/attention_distance',
                      'override config keys of every --model config')
    args = parser.parse_args(argv)
    if not args.model and not args.vit:
        parser.error('give at least one --model or --vit')
    labels = [m[2] for m in args.model] + [v[1] for v in args.vit]
    if len(set(labels)) != len(labels):
        parser.error(f'labels must differ, got {labels}')
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    if args.patch_size < 1:
        parser.error(f'--patch-size must be >= 1, got {args.patch_size}')
    return args


def _arch(text: str):
    if text.lstrip().startswith('{'):
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise UserError(f'--arch {text!r} is not a JSON dict: {err}')
    return text


def build_config_backbone(config: str, checkpoint: Optional[str], args):
    """The backbone of the config's model, with the checkpoint loaded."""
    from mmcae.analysis import build_model, load_checkpoint
    from mmcae.utils.config import load_config
    cfg = load_config(config, args.cfg_options)
    model = build_model(cfg, args.seed, random_init=checkpoint is None)
    if checkpoint is not None:
        trust = True if args.trust_checkpoint else None
        load_checkpoint(model, checkpoint, ('backbone.', ), trust)
    return getattr(model, 'backbone', model)


def build_vit(checkpoint: Optional[str], args):
    """An mmcae.ViT of ``--arch`` with the checkpoint converted in."""
    from mmcae.checkpoint import load_vit_pretrained
    from mmcae.models import ViT
    torch.manual_seed(args.seed)
    try:
        model = ViT(
            arch=_arch(args.arch),
            img_size=args.img_size,
            patch_size=args.patch_size,
            qkv_bias=None if args.qkv_bias == 'none' else args.qkv_bias)
    except ValueError as err:
        raise UserError(f'--arch {args.arch!r}: {err}')
    model.init_weights()
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise UserError(f'checkpoint not found: {checkpoint}')
        try:
            load_vit_pretrained(model, checkpoint)
        except ValueError as err:  # CheckpointFormatError and the like
            raise UserError(str(err))
    model.eval()  # some backbones' train() returns None
    return model


def plot_models(results: List[Dict], path: str) -> None:
    """Fig. 3 (a): per layer a dot per head, a line through the means."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    colors = plt.get_cmap('tab10')
    for index, result in enumerate(results):
        distances = np.asarray(result['distances'])
        layers = np.arange(1, distances.shape[0] + 1)
        color = colors(index % 10)
        ax.scatter(
            np.repeat(layers, distances.shape[1]),
            distances.ravel(),
            s=12,
            alpha=0.5,
            color=color)
        ax.plot(
            layers,
            distances.mean(axis=1),
            '-o',
            color=color,
            markersize=3,
            label=result['label'])
    ax.set_xlabel('layer')
    ax.set_ylabel('mean attention distance (pixels)')
    ax.set_xticks(np.arange(1, max(len(r['distances']) for r in results) +
                            1))
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def plot_by_label(results: List[Dict], values: List[float], name: str,
                  path: str) -> None:
    """Fig. 3 (b): heads and means per layer, coloured by the label."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.ticker import MaxNLocator
    low, high = min(values), max(values)
    norm = Normalize(low, high if high > low else low + 1)
    cmap = plt.get_cmap('viridis')
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for result, value in sorted(zip(results, values), key=lambda x: x[1]):
        distances = np.asarray(result['distances'])
        layers = np.arange(1, distances.shape[0] + 1)
        color = cmap(norm(value))
        ax.scatter(
            np.repeat(layers, distances.shape[1]),
            distances.ravel(),
            s=10,
            alpha=0.4,
            color=color)
        ax.plot(layers, distances.mean(axis=1), '-', color=color)
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=name)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel('layer')
    ax.set_ylabel('mean attention distance (pixels)')
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def _number(text: str) -> Optional[float]:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def main(argv: Optional[List[str]] = None) -> Dict:
    """Compute, plot and save; return the record (the JSON's content)."""
    args = parse_args(argv)
    from mmcae.analysis import (find_images, load_images,
                                model_attention_distance, patch_size_of)
    specs = [('config', cfg, ckpt, label) for cfg, ckpt, label in args.model]
    specs += [('vit', args.arch, ckpt, label) for ckpt, label in args.vit]
    for _, _, checkpoint, _ in specs:  # fail before any model work
        if not args.random_init and checkpoint != RANDOM and \
                not osp.isfile(checkpoint):
            raise UserError(f'checkpoint not found: {checkpoint}')
    paths = find_images(args.img_dir, args.num_images)
    images = load_images(paths, args.img_size)
    device = torch.device(args.device)
    prefix_weights = args.prefix_weights
    results = []
    for kind, source, checkpoint, label in specs:
        loaded = None if args.random_init or checkpoint == RANDOM \
            else checkpoint
        if kind == 'config':
            backbone = build_config_backbone(source, loaded, args)
        else:
            backbone = build_vit(loaded, args)
        backbone.to(device).eval()
        try:
            patch = patch_size_of(backbone)
            distances = model_attention_distance(
                backbone,
                images,
                patch_size=patch,
                batch_size=args.batch_size,
                renormalize=prefix_weights == 'renormalize')
        except ValueError as err:
            raise UserError(f'{label}: {err}')
        grid = [args.img_size // patch] * 2
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
        print(f'{label}: mean attention distance per layer (pixels): ' +
              ' '.join(f'{d:.1f}' for d in distances.mean(axis=1)) +
              f' | mean {distances.mean():.1f}')
    os.makedirs(args.out_dir, exist_ok=True)
    figure = osp.join(args.out_dir, 'attention_distance.png')
    plot_models(results, figure)
    figures = [figure]
    values = [_number(r['label']) for r in results]
    if all(v is not None for v in values):
        figure = osp.join(args.out_dir, 'attention_distance_by_label.png')
        plot_by_label(results, values, args.label_name, figure)
        figures.append(figure)
    record = dict(
        images=paths,
        num_images=len(paths),
        img_size=args.img_size,
        prefix_weights=prefix_weights,
        random_init=args.random_init,
        seed=args.seed,
        figures=figures,
        models=results)
    record_path = osp.join(args.out_dir, 'attention_distance.json')
    with open(record_path, 'w') as f:
        json.dump(record, f, indent=1)
    print(f'wrote {", ".join(figures)} and {record_path}')
    return record


if __name__ == '__main__':
    sys.exit(run_tool(main))
