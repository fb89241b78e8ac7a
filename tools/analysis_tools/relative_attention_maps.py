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
import os.path as osp
import sys
from typing import Dict, List, Optional

from mmcae.analysis.cli import (decoder_arg_parser, decoder_options,
                                parse_decoder_args)
from mmcae.utils.cli import run_tool


def parse_args(argv: Optional[List[str]] = None):
    parser = decoder_arg_parser('relative_attention_maps.py', __doc__)
    parser.add_argument(
        '--radius',
        type=int,
        help='plot only offsets up to this many patches (default: all)')
    args = parse_decoder_args(parser, argv)
    if args.radius is not None and args.radius < 0:
        parser.error(f'--radius must be >= 0, got {args.radius}')
    return args


def main(argv: Optional[List[str]] = None) -> Dict:
    """Compute, plot and save the maps; return the record (the JSON)."""
    args = parse_args(argv)
    from mmcae.analysis import run_relative_attention_maps
    record = run_relative_attention_maps(
        radius=args.radius, out_dir=args.out_dir, **decoder_options(args))
    print(f'{record["num_images"]} images, {len(record["masked_index"])} '
          f'mask tokens (mask ratio {record["mask_ratio"]}, seed '
          f'{record["seed"]}); per decoder layer:')
    for layer, summary in enumerate(record['summaries'], 1):
        print(f'layer {layer}: offset 0 {summary["centre"]:.4f}, within 1 '
              f'patch {summary["mass_within_1"]:.4f}, within 2 '
              f'{summary["mass_within_2"]:.4f}, on patches '
              f'{summary["patch_mass"]:.4f}, mean offset '
              f'{summary["mean_offset"]:.2f} patches')
    record_path = osp.join(args.out_dir, 'relative_attention_maps.json')
    print(f'wrote {record["figure"]} and {record_path}')
    return record


if __name__ == '__main__':
    sys.exit(run_tool(main))
