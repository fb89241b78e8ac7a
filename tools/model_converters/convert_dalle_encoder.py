#!/usr/bin/env python
"""Turn OpenAI's pickled DALL-E ``encoder.pkl`` into a plain state dict.

    python tools/model_converters/convert_dalle_encoder.py --trust \\
        encoder.pkl weights/dalle_encoder.pth

The output loads safely (weights only) into mmpretrain's ``DALL-E`` encoder:
``target_generator=dict(type='mmpretrain.DALL-E',
init_cfg=dict(type='Pretrained', checkpoint='weights/dalle_encoder.pth'))``.
"""
import argparse
import sys

import torch

from mmcae.models.tokenizers import load_openai_dalle_encoder
from mmcae.utils.checkpoint_compat import check_checkpoint_file
from mmcae.utils.cli import run_tool
from mmcae.utils.errors import UserError


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help="OpenAI's encoder.pkl")
    parser.add_argument('dst', help='the state dict to write')
    parser.add_argument('--trust', action='store_true',
                        help='you trust SRC (it is unpickled)')
    args = parser.parse_args(argv)
    try:
        # from its bytes first: a damaged file or one of another kind gets
        # one clear error, and is not unpickled even with --trust
        check_checkpoint_file(args.src)
        state = load_openai_dalle_encoder(args.src, trust=args.trust)
    except (FileNotFoundError, ValueError) as err:
        raise UserError(str(err)) from err
    torch.save(dict(state_dict=state, meta=dict(source=args.src)), args.dst)
    print(f'wrote {args.dst}: {len(state)} tensors, vocabulary '
          f'{state["blocks.output.conv.w"].shape[0]}')


if __name__ == '__main__':
    sys.exit(run_tool(main))
