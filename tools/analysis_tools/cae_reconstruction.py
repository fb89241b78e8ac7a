#!/usr/bin/env python
"""Reconstructions of pixel-target CAE checkpoints: masked, and full-image
with the regressor skipped (CAE arXiv Fig. 4 / App. E Fig. 9, IJCV Fig. 4).

    python tools/analysis_tools/cae_reconstruction.py \\
        --model CONFIG CHECKPOINT LABEL [--model ...] \\
        [--images FILES_OR_FOLDERS] [--num-images 8] [--seed 0] \\
        [--display input-stats|normalized] \\
        [--out-dir work_dirs/cae_reconstruction] [--device cpu]

Models: ``--model CONFIG CHECKPOINT LABEL`` (repeat it to compare, e.g.
with and without the alignment loss): a pixel-target ``mmcae.CAE``
config (``target='pixels'``) and a checkpoint of the whole model (every
``backbone.`` and ``neck.`` key must fit), or the word ``random`` for
the config's seeded random initialization.

Per image and model: the input with the masked patches grey (a block
mask drawn by the config's mask generator, seeded with ``--seed``: the
same masks for every model of the same config), the masked
reconstruction (visible patches -> encoder -> regressor -> decoder, the
training path; the predictions pasted over the masked patches), and the
full-image reconstruction (all patches -> encoder -> decoder, the
regressor skipped: the decoder receives the encoder's latents of every
patch plus their position embeddings where it receives the regressor's
predicted latents in training). Under each reconstruction: its MSE in the
per-patch normalized pixel space of the training target (masked: over the
masked patches; full: over all patches; predicting zeros scores about 1).
How the pictures are drawn (``--display``), and why the input patch
statistics can flatter them: :mod:`mmcae.analysis.cae_reconstruction`.

Images: ``--images`` (files or folders, searched recursively) or, by
default, a fixed sample of the first config's training set; each resized
and centre cropped to the encoder's ``img_size`` and normalized by the
config's ``data_preprocessor``.

Output in ``--out-dir``: ``cae_reconstruction.png`` (the grid) and
``cae_reconstruction.json`` (per model the per-image ``masked_mse``,
``full_mse``, ``zero_prediction_mse``, their means and the masks).
"""
import os.path as osp
import sys
from typing import Dict, List, Optional

from mmcae.analysis.cli import model_specs, parse_cae_reconstruction_args
from mmcae.utils.cli import run_tool


def main(argv: Optional[List[str]] = None) -> Dict:
    """Reconstruct, plot and save; return the record (the JSON's
    content)."""
    args = parse_cae_reconstruction_args(argv, __doc__)
    from mmcae.analysis.cae_reconstruction import run_cae_reconstruction
    record = run_cae_reconstruction(
        models=[spec[1:] for spec in model_specs(args)],
        images=args.images,
        num_images=args.num_images,
        seed=args.seed,
        display=args.display,
        out_dir=args.out_dir,
        device=args.device,
        trust=True if args.trust_checkpoint else None,
        cfg_options=args.cfg_options)
    for model in record['models']:
        print(f'{model["label"]}: normalized-pixel MSE per image, masked: ' +
              ' '.join(f'{v:.3f}' for v in model['masked_mse']) +
              f' (mean {model["mean_masked_mse"]:.3f}); full, no regressor: ' +
              ' '.join(f'{v:.3f}' for v in model['full_mse']) +
              f' (mean {model["mean_full_mse"]:.3f})')
    json_path = osp.join(args.out_dir, 'cae_reconstruction.json')
    print(f'wrote {record["figure"]} and {json_path}')
    return record


if __name__ == '__main__':
    sys.exit(run_tool(main))
