#!/usr/bin/env python
"""Last-layer [CLS] attention with its 50 %-mass contour: CAE Figs. 6, 10.

    python tools/analysis_tools/cls_attention_maps.py \\
        --model CONFIG CHECKPOINT LABEL [--model ...] \\
        [--vit CHECKPOINT LABEL ...] [--arch base] [--patch-size 16] \\
        [--qkv-bias qkv|qv|none] --img-dir DIR [DIR ...] \\
        [--num-images 8] [--img-size 224] [--num-crops 2] [--mass 0.5] \\
        [--num-show 8] [--seed 0] [--out-dir work_dirs/cls_attention_maps]

Models: ``--model CONFIG CHECKPOINT LABEL`` analyses the ``backbone`` of
the config's model with a checkpoint of the whole model (or the word
``random``), inputs normalized by the config's ``data_preprocessor``.
``--vit CHECKPOINT LABEL`` loads an encoder checkpoint of any layout the
converter reads (CAE, MoCo v3, MAE, DINO, DeiT, timm, mmcae...) into an
``mmcae.ViT`` of ``--arch`` (a name or a JSON dict), ``--patch-size`` and
``--qkv-bias`` ('qv' for CAE / BEiT), inputs ImageNet-normalized RGB.

Views: the first ``--num-images`` images of ``--img-dir`` as the ImageNet
test view at ``--img-size`` ("whole"), and ``--num-crops`` random resized
crops of each (mmpretrain RandomResizedCrop draws, area 0.2-1, seeded
with ``--seed`` and the file name) resized to ``--img-size`` ("crops").

Map: the [CLS] query's softmax weights in the last attention layer,
averaged over heads, on the patch keys, renormalized to sum to 1 (the
share on [CLS] itself is recorded as prefix_mass). Region: the fewest
patches, in descending order of weight, holding ``--mass`` of the map;
ties are taken in raster order (stable sort), so a uniform map keeps
exactly half the patches. Centre distance: the attention-weighted mean
distance of the patch centres from the image centre, as a fraction of
the half diagonal (and in patch sides). See
:mod:`mmcae.analysis.cls_attention`.

Output in ``--out-dir``: ``cls_attention_maps.png`` (inputs, then a row
per model: map overlaid, region outlined in blue),
``cls_attention_maps_crops.png`` (the same for the crops) and
``cls_attention_maps.json`` (per model and view kind: mean, std and
per-image values of region_fraction, centre_distance,
centre_distance_patches and prefix_mass; a uniform map's values).
"""
import sys
from typing import Dict, List, Optional

from mmcae.analysis.cli import (attention_map_options, cls_attention_parser,
                                model_specs, parse_attention_map_args)
from mmcae.utils.cli import run_tool


def main(argv: Optional[List[str]] = None) -> Dict:
    """Compute, plot and save; return the record (the JSON's content)."""
    args = parse_attention_map_args(cls_attention_parser(__doc__), argv)
    from mmcae.analysis import run_cls_attention_maps, summary_lines
    record = run_cls_attention_maps(
        model_specs(args),
        patch_size=args.patch_size,
        qkv_bias=None if args.qkv_bias == 'none' else args.qkv_bias,
        **attention_map_options(args))
    print('\n'.join(summary_lines(record)))
    return record


if __name__ == '__main__':
    sys.exit(run_tool(main))
