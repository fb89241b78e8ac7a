"""The command lines of the analysis tools (``tools/analysis_tools/``):
their parsers and option checks, so that the tools are a few calls and
their options are importable (tests, ``--help`` checks). The two MAE
decoder tools (``decoder_attention_similarity.py`` and
``relative_attention_maps.py``) share one parser."""
import argparse
import json
from typing import List, Optional, Union

from mmcae.utils.errors import UserError

#: ``--model CONFIG CHECKPOINT LABEL``: the CHECKPOINT word for the config's
#: random initialization
RANDOM = 'random'


def tool_parser(prog: str, doc: str) -> argparse.ArgumentParser:
    """A parser whose help is the tool's docstring (first line: the
    description, the rest: the epilog)."""
    return argparse.ArgumentParser(
        prog=prog,
        description=doc.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(doc.split('\n')[1:]))


def add_run_arguments(parser: argparse.ArgumentParser, out_dir: str,
                      cfg_options_help: str) -> None:
    """The options every analysis tool takes: ``--out-dir``, ``--device``,
    ``--trust-checkpoint`` and ``--cfg-options``."""
    from mmengine.config import DictAction
    parser.add_argument(
        '--out-dir', default=out_dir, help='where the PNGs and the JSON go')
    parser.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow full unpickling of checkpoints that torch cannot load '
        'safely')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help=cfg_options_help)


def parse_arch(text: str) -> Union[str, dict]:
    """An ``--arch`` value: a name (``base``) or a JSON dict.

    Raises:
        UserError: text that starts like a dict but is not JSON.
    """
    if text.lstrip().startswith('{'):
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise UserError(
                f'--arch {text!r} is not a JSON dict: {err}') from err
    return text


def attention_distance_parser(doc: str = '') -> argparse.ArgumentParser:
    """The command line of ``tools/analysis_tools/attention_distance.py``;
    ``doc``: the tool's docstring (its help)."""
    parser = tool_parser('attention_distance.py', doc)
    parser.add_argument(
        '--model',
        nargs=3,
        action='append',
        default=[],
        metavar=('CONFIG', 'CHECKPOINT', 'LABEL'),
        help=f'a config, its checkpoint (or {RANDOM!r}) and a label')
    parser.add_argument(
        '--vit',
        nargs=2,
        action='append',
        default=[],
        metavar=('CHECKPOINT', 'LABEL'),
        help='an encoder checkpoint loaded into an mmcae.ViT of --arch')
    parser.add_argument(
        '--arch',
        default='base',
        help="mmcae.ViT arch for --vit: a name or a JSON dict "
        "(default 'base')")
    parser.add_argument(
        '--patch-size', type=int, default=16, help='for --vit (default 16)')
    parser.add_argument(
        '--qkv-bias',
        choices=['qkv', 'qv', 'none'],
        default='qkv',
        help="for --vit: 'qkv' (ViT, MAE, DINO, DeiT; default) or 'qv' "
        '(BEiT, CAE)')
    parser.add_argument('--img-dir', required=True, help='image folder')
    parser.add_argument(
        '--num-images', type=int, default=50, help='images (default 50)')
    parser.add_argument(
        '--img-size', type=int, default=224, help='crop size (default 224)')
    parser.add_argument(
        '--batch-size', type=int, default=16, help='images per forward')
    parser.add_argument(
        '--prefix-weights',
        choices=['renormalize', 'as-is'],
        default='renormalize',
        help='weights over the patch keys (default renormalize)')
    parser.add_argument(
        '--random-init',
        action='store_true',
        help='load no checkpoint: analyse randomly initialized models')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of random inits')
    parser.add_argument(
        '--label-name',
        default='label',
        help='what numeric labels are, for the colour bar of Fig. 3 (b)')
    add_run_arguments(parser, 'work_dirs/attention_distance',
                      'override config keys of every --model config')
    return parser


def parse_attention_distance_args(argv: Optional[List[str]] = None,
                                  doc: str = '') -> argparse.Namespace:
    """Parse and check the options of :func:`attention_distance_parser`."""
    parser = attention_distance_parser(doc)
    args = parser.parse_args(argv)
    if not args.model and not args.vit:
        parser.error('give at least one --model or --vit')
    labels = [m[2] for m in args.model] + [v[1] for v in args.vit]
    if len(set(labels)) != len(labels):
        parser.error(f'labels must differ, got {labels}')
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    if args.patch_size < 1:
        parser.error(f'--patch-size must be >= 1, got {args.patch_size}')
    return args


def ccmim_masks_parser(doc: str = '') -> argparse.ArgumentParser:
    """The command line of ``tools/analysis_tools/visualize_ccmim_masks.py``;
    ``doc``: the tool's docstring (its help)."""
    from mmengine.config import DictAction

    from .ccmim_masks import INIT, STRATEGIES
    parser = tool_parser('visualize_ccmim_masks.py', doc)
    parser.add_argument('config', help='a ccMIM (mmcae.CcMIM) config')
    parser.add_argument(
        '--checkpoints',
        nargs='+',
        default=[],
        help=f'full ccMIM checkpoints; {INIT!r} = the random '
        'initialization (default: that alone)')
    parser.add_argument(
        '--labels',
        nargs='+',
        help='one per checkpoint (default: file names, or init)')
    parser.add_argument(
        '--images',
        nargs='+',
        help='image files or folders (default: the '
        "config's training set)")
    parser.add_argument(
        '--num-images',
        type=int,
        help='images to show (default: 8 of the training set, all of '
        '--images)')
    parser.add_argument(
        '--strategies',
        nargs='+',
        choices=STRATEGIES,
        help="divisions to show (default: the config's mask_strategy)")
    parser.add_argument(
        '--show-importance',
        action='store_true',
        help='a heat-map column per checkpoint')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the division noise (default 0)')
    parser.add_argument(
        '--scale',
        type=int,
        default=0,
        help='tile magnification (default: tiles of about 128 px)')
    parser.add_argument(
        '--out', default='ccmim_masks.png', help='the PNG grid')
    parser.add_argument(
        '--save-json', help='also write masks and importance here')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow full unpickling of checkpoints that torch cannot load '
        'safely (old mmengine files)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config keys')
    return parser


def parse_ccmim_masks_args(argv: Optional[List[str]] = None,
                           doc: str = '') -> argparse.Namespace:
    """Parse and check the options of :func:`ccmim_masks_parser`."""
    from .ccmim_masks import INIT
    parser = ccmim_masks_parser(doc)
    args = parser.parse_args(argv)
    if args.labels and len(args.labels) != len(args.checkpoints or [INIT]):
        parser.error('--labels needs one label per checkpoint')
    if args.scale < 0:
        parser.error('--scale must be >= 0')
    return args


def decoder_arg_parser(prog: str, doc: str) -> argparse.ArgumentParser:
    """The command line of the decoder analysis tools; ``doc``: the tool's
    docstring."""
    parser = tool_parser(prog, doc)
    parser.add_argument('config', help='an mmpretrain MAE config')
    parser.add_argument(
        'checkpoint', nargs='?', help='checkpoint of the whole MAE')
    parser.add_argument('--img-dir', required=True, help='image folder')
    parser.add_argument(
        '--num-images', type=int, default=100, help='images (default 100)')
    parser.add_argument(
        '--img-size',
        type=int,
        help="crop size (default and only choice: the backbone's)")
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the fixed mask')
    parser.add_argument(
        '--mask-ratio', type=float, help="mask ratio (default: the model's)")
    parser.add_argument(
        '--batch-size', type=int, default=16, help='images per forward')
    parser.add_argument(
        '--random-init',
        action='store_true',
        help='no checkpoint: the random initialization (seed 0)')
    add_run_arguments(parser, 'work_dirs/decoder_attention',
                      'override config keys')
    return parser


def parse_decoder_args(parser: argparse.ArgumentParser,
                       argv: Optional[List[str]] = None
                       ) -> argparse.Namespace:
    """Parse and check the options of :func:`decoder_arg_parser`."""
    args = parser.parse_args(argv)
    if args.checkpoint is None and not args.random_init:
        parser.error('give a CHECKPOINT, or --random-init')
    if args.checkpoint is not None and args.random_init:
        parser.error('--random-init loads no checkpoint; drop one of them')
    if args.num_images < 2:
        parser.error(f'--num-images must be >= 2, got {args.num_images}')
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    if args.mask_ratio is not None and not 0 < args.mask_ratio < 1:
        parser.error(f'--mask-ratio must be in (0, 1), got {args.mask_ratio}')
    return args


def decoder_options(args: argparse.Namespace) -> dict:
    """The keyword options of :func:`mmcae.analysis.run_decoder_analysis`
    from :func:`parse_decoder_args`'s result."""
    return dict(
        config=args.config,
        checkpoint=args.checkpoint,
        img_dir=args.img_dir,
        num_images=args.num_images,
        img_size=args.img_size,
        seed=args.seed,
        mask_ratio=args.mask_ratio,
        batch_size=args.batch_size,
        device=args.device,
        trust=True if args.trust_checkpoint else None,
        cfg_options=args.cfg_options)
