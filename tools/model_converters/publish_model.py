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
OUT_PREFIX is removed) and loads with ``torch.load(weights_only=True)``.
The same IN published by the same code gives the same bytes.

``--backbone-only`` publishes the encoder alone, in ``mmcae.ViT`` keys
(CAE, mmpretrain, timm, ... layouts; see mmcae/checkpoint/formats.py), for
``init_cfg=dict(type='Pretrained', checkpoint=FILE)`` of a downstream
config; ``meta['source_format']`` names the layout it came from.

With mmengine's ``EMAHook``, ``state_dict`` already holds the averaged
weights (the hook swaps them in when saving), so they are the ones
published; ``ema_state_dict`` (the raw weights) is dropped.
"""
import argparse
import os.path as osp
import pickle
import sys

from mmcae.checkpoint import (CheckpointFormatError,
                              build_published_checkpoint, output_prefix,
                              save_with_content_hash)
from mmcae.utils.checkpoint_compat import TRUST_ENV_VAR, load_local_checkpoint
from mmcae.utils.cli import run_tool
from mmcae.utils.errors import UserError

#: the top-level checkpoint keys that are published
PUBLISHED_KEYS = ('state_dict', 'meta')


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='checkpoint written by a training run')
    parser.add_argument(
        'out_prefix',
        help='output path without the hash, e.g. '
        'work_dirs/cae_vit-base-p16_300e_in1k')
    parser.add_argument(
        '--backbone-only',
        action='store_true',
        help='publish only the encoder, in mmcae.ViT keys')
    parser.add_argument(
        '--trust',
        action='store_true',
        help='the source needs full unpickling (pickled objects) and you '
        f'trust it; same as {TRUST_ENV_VAR}=1')
    args = parser.parse_args(argv)
    try:  # before the (long) load of a large checkpoint
        out_prefix = output_prefix(args.out_prefix)
    except ValueError as err:
        raise UserError(str(err)) from err

    try:
        # None, not False: without --trust the environment variable decides
        checkpoint = load_local_checkpoint(
            args.src, map_location='cpu', trust=args.trust or None)
    except FileNotFoundError as err:
        raise UserError(str(err)) from err
    # a damaged file (CheckpointReadError) or one that needs trust
    # (UnsafeCheckpointError) raises a UserError naming the file, what is
    # wrong and, for trust only, this tool's --trust; run_tool prints it
    try:
        published, dropped_meta = build_published_checkpoint(
            checkpoint, backbone_only=args.backbone_only)
    except CheckpointFormatError as err:
        raise UserError(f"'{args.src}': {err}") from err

    try:
        path, sha256 = save_with_content_hash(published, out_prefix)
    except FileExistsError as err:
        raise UserError(str(err)) from err
    except pickle.UnpicklingError as err:
        raise UserError(
            f"'{args.src}': its state_dict holds objects that "
            f'torch.load(weights_only=True) cannot read ({err}); nothing '
            'was written') from err
    except OSError as err:
        raise UserError(
            f"cannot write '{out_prefix}-*.pth': {err}") from err

    dropped = [key for key in checkpoint if key not in PUBLISHED_KEYS]
    meta = published['meta']
    print(f'{args.src} -> {path}')
    print(f'sha256: {sha256}')
    size = osp.getsize(path)
    print(f'size: {size / 1e6:.2f} MB ({size} bytes), '
          f'{len(published["state_dict"])} tensors')
    if args.backbone_only:
        print(f'backbone only: {meta["source_format"]} layout -> mmcae.ViT '
              'keys')
    if dropped:
        print(f'dropped: {", ".join(map(str, dropped))}')
    if 'ema_state_dict' in checkpoint:
        print('note: state_dict holds the EMA weights (mmengine\'s EMAHook '
              'swaps them in when saving); the raw ones were dropped')
    if dropped_meta:
        print(f'dropped from meta (not loadable with weights_only=True): '
              f'{", ".join(dropped_meta)}')
    if 'cfg' not in meta:
        print("note: meta holds no config text ('cfg')")
    print(f'mmcae {meta["mmcae_version"]}, git {meta["git_hash"]}')


if __name__ == '__main__':
    sys.exit(run_tool(main))
