#!/usr/bin/env python
"""t-SNE of patch representations labelled by their majority category, and
the k-NN accuracy of those labels (CAE arXiv Fig. 5 / App. B, IJCV Fig. 7).

    python tools/analysis_tools/patch_tsne.py DATA_CONFIG \\
        --model CONFIG CHECKPOINT LABEL [--model ...] \\
        [--vit CHECKPOINT LABEL ...] [--arch base] [--patch-size 16] \\
        [--split val] [--data-root DIR] [--img-size 224 [W]] \\
        [--threshold 0.5] [--max-images 500] [--max-per-class 1000] \\
        [--k 20] [--perplexity 30] [--tsne-metric cosine] [--seed 0] \\
        [--out-dir work_dirs/patch_tsne] [--device cpu]

Data: DATA_CONFIG is an mmseg dataset config (or a model config that
includes one), e.g. configs/_base_/datasets/ade20k_512x512.py,
configs/_base_/datasets/camvid.py (mmcae.CamVidDataset, SegNet layout)
or configs/_base_/datasets/demo_ade20k.py (tools/misc/make_demo_data.py);
its ``--split`` dataloader's dataset is read through its own class
(``--data-root`` replaces the root), so ignore labels (255, CamVid's
void) and ``reduce_zero_label`` are handled as in training. Up to
``--max-images`` images are drawn (seeded), resized to cover
``--img-size`` (H, or H W) and centre cropped.

Models: ``--model CONFIG CHECKPOINT LABEL`` (the config's backbone; the
word ``random`` for its random init: the papers' "random weights"
panel) and ``--vit CHECKPOINT LABEL`` (an encoder checkpoint of any
layout the converter reads, in an mmcae.ViT of ``--arch``,
``--patch-size``, ``--qkv-bias``; ``random`` too). A ``--model`` is fed
images normalized by its config's data_preprocessor, a ``--vit`` with the
ImageNet mean and std.

Labels: a patch's label is the category covering MORE than
``--threshold`` of its pixels (ignore pixels count in the patch, for no
category); other patches are left out. Up to ``--max-per-class``
labelled patches per category are drawn (seeded). Features: last-layer
patch tokens. t-SNE: scikit-learn, ``--tsne-metric`` (default cosine),
PCA init, perplexity ``--perplexity`` capped at (n - 1) / 3. k-NN: the
project's weighted k-NN (cosine, ``--k``, T = 0.07) of the same patches,
the reference set being the patches of a seeded half of the images.

Output in ``--out-dir``: ``patch_tsne.png`` (a scatter per model, a
legend of the categories), ``patch_tsne.json`` (per model the patches per
category, the k-NN accuracy and the t-SNE settings) and
``patch_tsne.npz`` (``points_I``, ``labels_I`` of model I).
"""
import os.path as osp
import sys
from typing import Dict, List, Optional

from mmcae.analysis.cli import model_specs, parse_patch_tsne_args
from mmcae.utils.cli import run_tool


def main(argv: Optional[List[str]] = None) -> Dict:
    """Sample, embed, plot and save; return the record (the JSON's
    content)."""
    args = parse_patch_tsne_args(argv, __doc__)
    from mmcae.analysis.patch_tsne import run_patch_tsne
    record = run_patch_tsne(
        args.data_config,
        model_specs(args),
        split=args.split,
        data_root=args.data_root,
        img_size=args.img_size,
        patch_size=args.patch_size,
        qkv_bias=None if args.qkv_bias == 'none' else args.qkv_bias,
        threshold=args.threshold,
        max_images=args.max_images,
        max_per_class=args.max_per_class,
        k=args.k,
        perplexity=args.perplexity,
        metric=args.tsne_metric,
        max_iter=args.tsne_iter,
        batch_size=args.batch_size,
        seed=args.seed,
        out_dir=args.out_dir,
        device=args.device,
        trust=True if args.trust_checkpoint else None,
        cfg_options=args.cfg_options)
    for model in record['models']:
        print(f'{model["label"]}: {model["num_patches"]} patches of '
              f'{len(model["patches_per_class"])} categories; k-NN top-1 '
              f'{model["knn"]["top1"]:.1f} % (k={model["knn"]["k"]}, '
              f'{model["knn"]["num_query"]} query patches)')
    json_path = osp.join(args.out_dir, 'patch_tsne.json')
    print(f'wrote {record["figure"]} and {json_path}')
    return record


if __name__ == '__main__':
    sys.exit(run_tool(main))
