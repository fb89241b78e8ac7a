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
.jpg/.jpeg/.png/.bmp/.webp, sorted), the first ``--num-images``; each resized
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
import os.path as osp
import sys
from typing import Dict, List, Optional

from mmcae.analysis.cli import (RANDOM, parse_arch,
                                parse_attention_distance_args)
from mmcae.utils.cli import run_tool


def main(argv: Optional[List[str]] = None) -> Dict:
    """Compute, plot and save; return the record (the JSON's content)."""
    args = parse_attention_distance_args(argv, __doc__)
    from mmcae.analysis import run_attention_distance

    def checkpoint(path: str) -> Optional[str]:
        return None if path == RANDOM else path

    record = run_attention_distance(
        models=[(cfg, checkpoint(ckpt), label)
                for cfg, ckpt, label in args.model],
        vits=[(checkpoint(ckpt), label) for ckpt, label in args.vit],
        img_dir=args.img_dir,
        num_images=args.num_images,
        img_size=args.img_size,
        arch=parse_arch(args.arch) if args.vit else args.arch,
        patch_size=args.patch_size,
        qkv_bias=None if args.qkv_bias == 'none' else args.qkv_bias,
        batch_size=args.batch_size,
        renormalize=args.prefix_weights == 'renormalize',
        random_init=args.random_init,
        seed=args.seed,
        label_name=args.label_name,
        out_dir=args.out_dir,
        device=args.device,
        trust=True if args.trust_checkpoint else None,
        cfg_options=args.cfg_options)
    for model in record['models']:
        print(f'{model["label"]}: mean attention distance per layer '
              '(pixels): ' + ' '.join(f'{d:.1f}'
                                      for d in model['mean_per_layer']) +
              f' | mean {model["mean"]:.1f}')
    json_path = osp.join(args.out_dir, 'attention_distance.json')
    print(f'wrote {", ".join(record["figures"])} and {json_path}')
    return record


if __name__ == '__main__':
    sys.exit(run_tool(main))
