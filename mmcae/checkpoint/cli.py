"""The command lines of the checkpoint tools.

``tools/model_converters/convert_checkpoint.py``,
``tools/model_converters/convert_dalle_encoder.py``,
``tools/model_converters/publish_model.py`` and
``tools/misc/resave_checkpoint.py`` each run one ``*_main`` of this module
through :func:`mmcae.utils.cli.run_tool` (a user error is one line, exit
status 2). The tools' docstrings hold the usage. Every tool reads its input
with :func:`~mmcae.checkpoint.read_checkpoint`; ``--trust`` is passed as
``True`` or ``None`` (not False), so that without it
``MMCAE_TRUST_CHECKPOINTS`` decides; a refusal names the running tool's
flag and the variable (:mod:`mmcae.checkpoint.trust`).

``convert_checkpoint.py`` writes ``{'state_dict': ..., 'meta': ...}`` whose
``meta['source']`` holds the source file, its format and its architecture
facts (:func:`~mmcae.checkpoint.convert.architecture_facts`), checked by
:func:`~mmcae.checkpoint.load_vit_pretrained` when the file is loaded.
``--drop-dist-token`` drops a distilled DeiT's [DIST] token (kept by
default) and records that it was asked for.
"""
import argparse
import os.path as osp
import pickle
from typing import List, Optional

import torch

from mmcae.utils.errors import UserError
from .dalle import load_openai_dalle_encoder
from .errors import CheckpointFormatError
from .formats import FORMATS
from .reader import check_checkpoint_file, load_local_checkpoint
from .trust import TRUST_ENV_VAR
from .weights import read_checkpoint

#: the top-level checkpoint keys that publish_model.py keeps
PUBLISHED_KEYS = ('state_dict', 'meta')


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=prog, description=description)


def _add_trust(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument(
        '--trust',
        action='store_true',
        help=f'{help}; same as {TRUST_ENV_VAR}=1')


def build_convert_parser() -> argparse.ArgumentParser:
    """The options of ``convert_checkpoint.py``."""
    parser = _parser('convert_checkpoint.py',
                     'Convert a published ViT checkpoint to mmcae.ViT keys.')
    parser.add_argument('src', help='checkpoint to convert')
    parser.add_argument('dst', help='where to write the mmcae checkpoint')
    parser.add_argument(
        '--format', default='auto', choices=('auto', ) + FORMATS)
    parser.add_argument(
        '--img-size', type=int, nargs='+', help='resize position tables to '
        'this input size (one value, or height width)')
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument(
        '--dino-key', default='teacher', choices=('teacher', 'student'))
    parser.add_argument(
        '--drop-dist-token',
        action='store_true',
        help="distilled DeiT: drop the [DIST] token and its position row "
        '(for a ViT without with_dist_token; its features are then not the '
        "original's). By default they are kept")
    _add_trust(parser, 'the source needs full unpickling (pickled objects, '
               "e.g. the argparse.Namespace of official training scripts' "
               'save_model) and you trust it')
    return parser


def _describe(facts: dict) -> str:
    """The architecture facts in a few words, for the converter's output."""
    parts = [f"{facts.get('embed_dims')}-d, {facts.get('num_layers')} "
             'blocks']
    if 'num_heads' in facts:
        parts.append(f"{facts['num_heads']} heads "
                     f"({facts['num_heads_from']})")
    else:
        parts.append('heads not known from the format')
    if facts.get('with_dist_token'):
        parts.append('[DIST] kept: load with with_dist_token=True')
    elif facts.get('dist_token_dropped'):
        parts.append('[DIST] dropped (--drop-dist-token)')
    return '; '.join(parts)


def convert_main(argv: Optional[List[str]] = None) -> None:
    """``convert_checkpoint.py``: any ViT layout -> mmcae.ViT keys.

    The written file's ``meta['source']`` records the source file, its
    format and its architecture facts
    (:func:`~mmcae.checkpoint.convert.architecture_facts`), which
    :func:`~mmcae.checkpoint.load_vit_pretrained` checks against the model
    (the converted keys alone cannot tell e.g. a MoCo v3 ViT-S, 12 heads,
    from a DeiT-S, 6).
    """
    # conversion imports mmcae.models (seconds), which the other tools of
    # this module do not need
    from .convert import architecture_facts, convert_vit_checkpoint
    args = build_convert_parser().parse_args(argv)
    # a damaged file or one that needs trust raises a UserError that names
    # the file and this tool's --trust (see mmcae.checkpoint.TRUST_FLAGS)
    checkpoint = read_checkpoint(args.src, trust=args.trust or None)
    dst_grid = None
    if args.img_size:
        height, width = (args.img_size * 2)[:2]
        dst_grid = (height // args.patch_size, width // args.patch_size)
    try:
        state_dict, fmt = convert_vit_checkpoint(
            checkpoint, args.format, dst_grid, args.dino_key,
            drop_dist_token=args.drop_dist_token)
    except CheckpointFormatError as err:
        raise UserError(f"'{args.src}': {err}") from err
    facts = architecture_facts(state_dict, fmt)
    if fmt == 'deit_distilled' and args.drop_dist_token:
        facts['dist_token_dropped'] = True
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(
                source=dict(facts, file=osp.abspath(args.src)),
                source_format=fmt,
                converter='mmcae tools/model_converters/'
                'convert_checkpoint.py')), args.dst)
    print(f'{args.src}: {fmt} -> {args.dst} ({len(state_dict)} tensors; '
          f'{_describe(facts)})')


def build_dalle_parser() -> argparse.ArgumentParser:
    """The options of ``convert_dalle_encoder.py``."""
    parser = _parser(
        'convert_dalle_encoder.py',
        "Turn OpenAI's pickled DALL-E encoder.pkl into a plain state dict.")
    parser.add_argument('src', help="OpenAI's encoder.pkl")
    parser.add_argument('dst', help='the state dict to write')
    _add_trust(parser, 'you trust SRC (it is unpickled)')
    return parser


def convert_dalle_main(argv: Optional[List[str]] = None) -> None:
    """``convert_dalle_encoder.py``: encoder.pkl -> a safe state dict."""
    args = build_dalle_parser().parse_args(argv)
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


def build_publish_parser() -> argparse.ArgumentParser:
    """The options of ``publish_model.py``."""
    parser = _parser(
        'publish_model.py', 'Publish a training checkpoint: weights and meta '
        'only, named by content.')
    parser.add_argument('src', help='checkpoint written by a training run')
    parser.add_argument(
        'out_prefix',
        help='output path without the hash, e.g. '
        'work_dirs/cae_vit-base-p16_300e_in1k')
    parser.add_argument(
        '--backbone-only',
        action='store_true',
        help='publish only the encoder, in mmcae.ViT keys')
    _add_trust(parser, 'the source needs full unpickling (pickled objects) '
               'and you trust it')
    return parser


def publish_main(argv: Optional[List[str]] = None) -> None:
    """``publish_model.py``: weights and meta, named by their sha256."""
    from .publish import (build_published_checkpoint, output_prefix,
                          save_with_content_hash)  # imports mmcae.models
    args = build_publish_parser().parse_args(argv)
    try:  # before the (long) load of a large checkpoint
        out_prefix = output_prefix(args.out_prefix)
    except ValueError as err:
        raise UserError(str(err)) from err
    checkpoint = read_checkpoint(args.src, trust=args.trust or None)
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


def build_resave_parser() -> argparse.ArgumentParser:
    """The options of ``resave_checkpoint.py``."""
    parser = _parser(
        'resave_checkpoint.py', "Rewrite a checkpoint so that torch's safe "
        'loader (weights_only) reads it.')
    parser.add_argument('src', help='checkpoint to read')
    parser.add_argument('dst', help='checkpoint to write')
    _add_trust(parser, 'you trust SRC: load it with full unpickling if '
               'needed')
    return parser


def resave_main(argv: Optional[List[str]] = None) -> None:
    """``resave_checkpoint.py``: load once (trusted), save in safe form."""
    args = build_resave_parser().parse_args(argv)
    if args.src == args.dst:
        raise UserError('SRC and DST must differ (the source is kept)')
    checkpoint = read_checkpoint(args.src, trust=args.trust or None)
    torch.save(checkpoint, args.dst)
    # prove the result loads safely before reporting success
    load_local_checkpoint(args.dst, map_location='cpu', trust=False)
    print(f'wrote {args.dst} (loads with weights_only=True)')
