#!/usr/bin/env python
"""Publish a training checkpoint: weights and meta only, named by content.

    python tools/model_converters/publish_model.py IN OUT_PREFIX \\
        [--backbone-only] [--trust]

IN is a checkpoint written by an mmengine runner (``state_dict``, ``meta``,
``optimizer``, ``param_schedulers``, ``message_hub``, ...). The output keeps
``state_dict`` and ``meta`` (config text, epoch, iter, seed, ... plus
``mmcae_version`` and ``git_hash`` of the code publishing it) and drops the
state needed only to resume training. It is written as
``OUT_PREFIX-{first 8 hex of its sha256}.pth`` (a trailing ``.pth`` of
OUT_PREFIX is removed) and loads with torch's safe loader
(``weights_only=True``).
The same IN published by the same code gives the same bytes.

``--backbone-only`` publishes the encoder alone, in ``mmcae.ViT`` keys
(CAE, mmpretrain, timm, ... layouts; see mmcae/checkpoint/formats.py), for
``init_cfg=dict(type='Pretrained', checkpoint=FILE)`` of a downstream
config; ``meta['source_format']`` names the layout it came from.

With mmengine's ``EMAHook``, ``state_dict`` already holds the averaged
weights (the hook swaps them in when saving), so they are the ones
published; ``ema_state_dict`` (the raw weights) is dropped.
"""
import sys

from mmcae.checkpoint.cli import publish_main
from mmcae.utils.cli import run_tool

if __name__ == '__main__':
    sys.exit(run_tool(publish_main))
