#!/usr/bin/env python
"""Convert a published ViT checkpoint to mmcae.ViT keys.

    python tools/model_converters/convert_checkpoint.py IN OUT \\
        [--format auto|timm|beit|cae|mocov3|dino|deit_distilled|mmpretrain_vit|
                  mmpretrain_beit|mmpretrain_cae|mmcae]
        [--img-size 512 [512]] [--patch-size 16] [--dino-key teacher]
        [--drop-dist-token] [--trust]

OUT holds ``{'state_dict': ..., 'meta': ...}`` with the backbone's own keys,
so a backbone config loads it with
``init_cfg=dict(type='Pretrained', checkpoint=OUT)``. ``--img-size`` resizes
the position tables now (the ViT also resizes them when it loads).
``meta['source']`` records the source file, its format and the architecture
facts the format tells (the official model's head count, [DIST]); loading
OUT checks them against the model. ``--trust`` (or
``MMCAE_TRUST_CHECKPOINTS=1``) reads files that pickle objects, e.g. the
``argparse.Namespace`` of official training scripts.
"""
import sys

from mmcae.checkpoint.cli import convert_main
from mmcae.utils.cli import run_tool

if __name__ == '__main__':
    sys.exit(run_tool(convert_main))
