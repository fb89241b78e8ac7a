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
encoder alone does not fit), loaded strictly
(:func:`mmcae.analysis.load_checkpoint`). The word
``init`` in ``--checkpoints``, or no ``--checkpoints`` at all, is the
config's random initialization (the paper's "Iter = 0"), drawn with the
config's ``randomness.seed`` (0 if unset), so it is the same in every run.

Images: ``--images`` (files, or folders searched recursively for
.jpg/.jpeg/.png/.bmp/.webp, sorted; all of them unless ``--num-images``),
else ``--num-images`` (default 8) images of the config's training set,
a fixed sample (NumPy seed 0, whatever ``--seed``; in file-list order), so
every run shows the same images.

Mode and randomness: eval mode; the division noise is drawn from a
generator seeded with ``--seed`` for every (checkpoint, strategy) column,
so columns differ only by the model (see :mod:`mmcae.analysis.ccmim_masks`
for why eval mode shows the division of training).

``--save-json`` writes the images, the columns and, per column, the
masked patch indices (row-major in the patch grid) and the importance per
image, with everything needed to remake the figure (grid, patch size,
tile scale, header height, darkening factor, seed).

CPU only (small batches of images; a ViT-B takes seconds).
"""
import sys
from typing import List, Optional, Tuple

from mmcae.analysis.ccmim_masks import INIT
from mmcae.analysis.cli import parse_ccmim_masks_args
from mmcae.utils.cli import run_tool


def main(argv: Optional[List[str]] = None) -> Tuple[str, dict]:
    """Draw the grid; return the PNG path and the record (the JSON's
    content)."""
    args = parse_ccmim_masks_args(argv, __doc__)
    from mmcae.analysis import draw_ccmim_masks
    out, record = draw_ccmim_masks(
        args.config,
        checkpoints=args.checkpoints or [INIT],
        labels=args.labels,
        images=args.images,
        num_images=args.num_images,
        strategies=args.strategies,
        show_importance=args.show_importance,
        seed=args.seed,
        scale=args.scale,
        out=args.out,
        save_json=args.save_json,
        trust=True if args.trust_checkpoint else None,
        cfg_options=args.cfg_options)
    print(f'{out}: {len(record["images"])} images x '
          f'{len(record["columns"])} columns '
          f'({", ".join(record["columns"])})')
    return out, record


if __name__ == '__main__':
    sys.exit(run_tool(main))
