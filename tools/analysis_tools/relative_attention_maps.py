#!/usr/bin/env python
"""Average relative attention maps of MAE's mask tokens: Uni-SSL Fig. 2.

    python tools/analysis_tools/relative_attention_maps.py \\
        CONFIG [CHECKPOINT] --img-dir DIR [--num-images 100] \\
        [--img-size N] [--seed 0] [--mask-ratio R] [--batch-size 16] \\
        [--radius K] [--out-dir work_dirs/decoder_attention] \\
        [--device cpu] [--random-init]

CONFIG builds an mmpretrain ``MAE`` (backbone ``MAEViT``, neck
``MAEPretrainDecoder``); CHECKPOINT is a checkpoint of that whole model,
or leave it out with ``--random-init`` (the config's random init).

Every image is masked with ONE random mask drawn from ``--seed``. For each
decoder layer, the attention of every mask token over the patches is
placed on a (2H - 1) x (2W - 1) canvas centred on the mask token (cell
(dr, dc) = the key dr rows below and dc columns right of the query) and
averaged over the mask tokens, heads and images (see
:mod:`mmcae.analysis.decoder_attention`; the [CLS] key is left out, so a
map sums to the mean attention on patches). A decoder that reconstructs
from local features puts its mass near the centre. Even uniform attention
gives a centre-peaked average on a finite grid (more keys lie at small
offsets), with 1 / (H W) at offset 0: compare against that.

Images: as in decoder_attention_similarity.py (``--img-dir``, first
``--num-images``, ImageNet test view at the backbone's input size).

Output in ``--out-dir``: ``relative_attention_maps.png`` (one heat map per
decoder layer, the whole canvas or the offsets within ``--radius``) and
``relative_attention_maps.json`` (the maps, and per layer the weight at
offset 0, the mass within 1 and 2 patches (Chebyshev), the total mass on
patches and the attention-weighted mean offset length in patches).
"""
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np

from mmcae.utils.cli import run_tool


def parse_args(argv: Optional[List[str]] = None):
    from mmcae.analysis.decoder_attention import (decoder_arg_parser,
                                                  parse_decoder_args)
    parser = decoder_arg_parser('relative_attention_maps.py', __doc__)
    parser.add_argument(
        '--radius',
        type=int,
        help='plot only offsets up to this many patches (default: all)')
    args = parse_decoder_args(parser, argv)
    if args.radius is not None and args.radius < 0:
        parser.error(f'--radius must be >= 0, got {args.radius}')
    return args


def summarize(canvas: np.ndarray) -> Dict[str, float]:
    """Locality numbers of one (2H - 1) x (2W - 1) map."""
    rows, cols = canvas.shape
    centre_r, centre_c = rows // 2, cols // 2
    dr, dc = np.meshgrid(
        np.arange(rows) - centre_r, np.arange(cols) - centre_c,
        indexing='ij')
    chebyshev = np.maximum(np.abs(dr), np.abs(dc))
    total = float(canvas.sum())
    return dict(
        centre=float(canvas[centre_r, centre_c]),
        mass_within_1=float(canvas[chebyshev <= 1].sum()),
        mass_within_2=float(canvas[chebyshev <= 2].sum()),
        patch_mass=total,
        mean_offset=float((canvas * np.hypot(dr, dc)).sum() /
                          total) if total > 0 else 0.)


def plot_maps(maps: np.ndarray, radius: Optional[int], path: str) -> None:
    """Fig. 2: one heat map per decoder layer, offsets on the axes."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    num_layers, rows, cols = maps.shape
    half_r, half_c = rows // 2, cols // 2
    if radius is not None:
        rad_r, rad_c = min(radius, half_r), min(radius, half_c)
        maps = maps[:, half_r - rad_r:half_r + rad_r + 1,
                    half_c - rad_c:half_c + rad_c + 1]
        half_r, half_c = rad_r, rad_c
    fig, axes = plt.subplots(
        1, num_layers, figsize=(3.2 * num_layers, 3.2), squeeze=False)
    extent = (-half_c - 0.5, half_c + 0.5, half_r + 0.5, -half_r - 0.5)
    for layer, ax in enumerate(axes[0]):
        image = ax.imshow(maps[layer], cmap='viridis', extent=extent)
        ax.set_title(f'decoder layer {layer + 1}')
        ax.set_xlabel('column offset')
        if layer == 0:
            ax.set_ylabel('row offset')
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def main(argv: Optional[List[str]] = None) -> Dict:
    """Compute, plot and save the maps; return the record (the JSON)."""
    args = parse_args(argv)
    from mmcae.analysis.decoder_attention import run_decoder_analysis
    record = run_decoder_analysis(args)
    record.pop('similarity')
    maps = record.pop('relative_maps')
    os.makedirs(args.out_dir, exist_ok=True)
    figure = osp.join(args.out_dir, 'relative_attention_maps.png')
    plot_maps(maps, args.radius, figure)
    summaries = [summarize(m) for m in maps]
    record.update(
        figure=figure,
        radius=args.radius,
        offset_origin=[maps.shape[1] // 2, maps.shape[2] // 2],
        summaries=summaries,
        relative_maps=maps.tolist())
    record_path = osp.join(args.out_dir, 'relative_attention_maps.json')
    with open(record_path, 'w') as f:
        json.dump(record, f, indent=1)
    print(f'{record["num_images"]} images, {len(record["masked_index"])} '
          f'mask tokens (mask ratio {record["mask_ratio"]}, seed '
          f'{record["seed"]}); per decoder layer:')
    for layer, summary in enumerate(summaries, 1):
        print(f'layer {layer}: offset 0 {summary["centre"]:.4f}, within 1 '
              f'patch {summary["mass_within_1"]:.4f}, within 2 '
              f'{summary["mass_within_2"]:.4f}, on patches '
              f'{summary["patch_mass"]:.4f}, mean offset '
              f'{summary["mean_offset"]:.2f} patches')
    print(f'wrote {figure} and {record_path}')
    return record


if __name__ == '__main__':
    sys.exit(run_tool(main))
