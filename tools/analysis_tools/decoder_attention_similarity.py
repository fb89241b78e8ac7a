#!/usr/bin/env python
"""Attention similarity of MAE's decoder layers: Uni-SSL Eq. 3, Fig. 1 (a).

    python tools/analysis_tools/decoder_attention_similarity.py \\
        CONFIG [CHECKPOINT] --img-dir DIR [--num-images 100] \\
        [--img-size N] [--seed 0] [--mask-ratio R] [--batch-size 16] \\
        [--out-dir work_dirs/decoder_attention] [--device cpu] \\
        [--random-init]

CONFIG builds an mmpretrain ``MAE`` (backbone ``MAEViT``, neck
``MAEPretrainDecoder``); CHECKPOINT is a checkpoint of that whole model
(every ``backbone.`` and ``neck.`` key must fit), or leave it out with
``--random-init`` for the config's random initialization (seeded).

Every image is masked with ONE random mask, drawn once from ``--seed``
(the backbone's mask ratio, or ``--mask-ratio``), so the mask tokens are
at the same positions in all images. For each decoder layer, the
attention of all mask-token queries (all heads) over the patch keys of
an image is one vector; S_l is the cosine similarity of those vectors
averaged over all ordered pairs of different images (Eq. 3; see
:mod:`mmcae.analysis.decoder_attention`). High S_l: the layer attends by
position; low: by image content.

Images: the ``--img-dir`` images (recursive
.jpg/.jpeg/.png/.bmp/.webp, sorted), the
first ``--num-images`` (at least 2); shorter side resized to
``img_size * 256 / 224`` (bicubic), centre crop ``--img-size`` (default:
the backbone's input size, the only one MAEViT's masked forward takes),
ImageNet mean / std (RGB). The model runs in eval mode.

Output in ``--out-dir``: ``decoder_attention_similarity.png`` (S_l per
decoder layer, bars) and ``decoder_attention_similarity.json`` (S_l, the
masked patch indices, the images).
"""
import os.path as osp
import sys
from typing import Dict, List, Optional

from mmcae.analysis.cli import (decoder_arg_parser, decoder_options,
                                parse_decoder_args)
from mmcae.utils.cli import run_tool


def main(argv: Optional[List[str]] = None) -> Dict:
    """Compute, plot and save S_l; return the record (the JSON)."""
    parser = decoder_arg_parser('decoder_attention_similarity.py', __doc__)
    args = parse_decoder_args(parser, argv)
    from mmcae.analysis import run_decoder_similarity
    record = run_decoder_similarity(
        out_dir=args.out_dir, **decoder_options(args))
    print(f'{record["num_images"]} images, {len(record["masked_index"])} '
          f'mask tokens (mask ratio {record["mask_ratio"]}, seed '
          f'{record["seed"]})')
    for layer, value in enumerate(record['similarity'], 1):
        print(f'decoder layer {layer}: S = {value:.4f}')
    record_path = osp.join(args.out_dir, 'decoder_attention_similarity.json')
    print(f'wrote {record["figure"]} and {record_path}')
    return record


if __name__ == '__main__':
    sys.exit(run_tool(main))
