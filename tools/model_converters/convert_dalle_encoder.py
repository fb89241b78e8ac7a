#!/usr/bin/env python
"""Turn OpenAI's pickled DALL-E ``encoder.pkl`` into a plain state dict.

    python tools/model_converters/convert_dalle_encoder.py --trust \\
        encoder.pkl weights/dalle_encoder.pth

The output loads safely (weights only) into mmpretrain's ``DALL-E`` encoder:
``target_generator=dict(type='mmpretrain.DALL-E',
init_cfg=dict(type='Pretrained', checkpoint='weights/dalle_encoder.pth'))``.
"""
import sys

from mmcae.checkpoint.cli import convert_dalle_main
from mmcae.utils.cli import run_tool

if __name__ == '__main__':
    sys.exit(run_tool(convert_dalle_main))
