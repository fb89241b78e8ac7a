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


def add_model_arguments(parser: argparse.ArgumentParser,
                        vit: bool = True) -> None:
    """The models of the backbone analyses: ``--model CONFIG CHECKPOINT
    LABEL`` and (``vit``) ``--vit CHECKPOINT LABEL`` (repeated), with
    ``--arch``, ``--patch-size`` and ``--qkv-bias`` for the ``--vit``
    ones."""
    parser.add_argument(
        '--model',
        nargs=3,
        action='append',
        default=[],
        metavar=('CONFIG', 'CHECKPOINT', 'LABEL'),
        help=f'a config, its checkpoint (or {RANDOM!r}) and a label')
    if not vit:
        return
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


def check_model_arguments(parser: argparse.ArgumentParser,
                          args: argparse.Namespace) -> None:
    """At least one model of :func:`add_model_arguments`, distinct labels,
    a positive patch size (``parser.error`` otherwise)."""
    vits = getattr(args, 'vit', [])
    if not args.model and not vits:
        parser.error('give at least one --model' +
                     (' or --vit' if hasattr(args, 'vit') else ''))
    labels = [m[2] for m in args.model] + [v[1] for v in vits]
    if len(set(labels)) != len(labels):
        parser.error(f'labels must differ, got {labels}')
    if vits and args.patch_size < 1:
        parser.error(f'--patch-size must be >= 1, got {args.patch_size}')


def model_specs(args: argparse.Namespace) -> list:
    """(kind, source, checkpoint or None, label) per model of
    :func:`add_model_arguments`: kind ``'config'`` (source: the config)
    or ``'vit'`` (source: the parsed ``--arch``)."""

    def checkpoint(path: str) -> Optional[str]:
        return None if path == RANDOM else path

    vits = getattr(args, 'vit', [])
    arch = parse_arch(args.arch) if vits else None
    return [('config', cfg, checkpoint(ckpt), label)
            for cfg, ckpt, label in args.model] + [
                ('vit', arch, checkpoint(ckpt), label) for ckpt, label in vits
            ]


def attention_distance_parser(doc: str = '') -> argparse.ArgumentParser:
    """The command line of ``tools/analysis_tools/attention_distance.py``;
    ``doc``: the tool's docstring (its help)."""
    parser = tool_parser('attention_distance.py', doc)
    add_model_arguments(parser)
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
    check_model_arguments(parser, args)
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
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


def _attention_map_parser(prog: str, doc: str, vit: bool,
                          img_size_help: str, num_crops: int,
                          out_dir: str) -> argparse.ArgumentParser:
    """The command line shared by the attention-map tools."""
    parser = tool_parser(prog, doc)
    add_model_arguments(parser, vit=vit)
    parser.add_argument(
        '--img-dir', nargs='+', required=True, help='image folders or files')
    parser.add_argument(
        '--num-images', type=int, default=8, help='images (default 8)')
    parser.add_argument(
        '--img-size', type=int, default=224 if vit else None,
        help=img_size_help)
    parser.add_argument(
        '--num-crops',
        type=int,
        default=num_crops,
        help=f'random resized crops per image, 0: none (default '
        f'{num_crops})')
    parser.add_argument(
        '--mass',
        type=float,
        default=0.5,
        help='attention mass inside the contour (default 0.5)')
    parser.add_argument(
        '--num-show', type=int, default=8, help='views per figure')
    parser.add_argument(
        '--batch-size', type=int, default=16, help='images per forward')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the crops and random inits (default 0)')
    add_run_arguments(parser, out_dir, 'override config keys of every '
                      '--model config')
    return parser


def cls_attention_parser(doc: str = '') -> argparse.ArgumentParser:
    """The command line of ``tools/analysis_tools/cls_attention_maps.py``;
    ``doc``: the tool's docstring (its help)."""
    return _attention_map_parser('cls_attention_maps.py', doc, True,
                                 'view size (default 224)', 2,
                                 'work_dirs/cls_attention_maps')


def attentive_probe_parser(doc: str = '') -> argparse.ArgumentParser:
    """The command line of ``tools/analysis_tools/attentive_probe_maps.py``;
    ``doc``: the tool's docstring (its help)."""
    return _attention_map_parser(
        'attentive_probe_maps.py', doc, False,
        "view size (default: the first config's backbone img_size)", 0,
        'work_dirs/attentive_probe_maps')


def parse_attention_map_args(parser: argparse.ArgumentParser,
                             argv: Optional[List[str]] = None
                             ) -> argparse.Namespace:
    """Parse and check the options of :func:`cls_attention_parser` or
    :func:`attentive_probe_parser`."""
    args = parser.parse_args(argv)
    check_model_arguments(parser, args)
    if not 0 < args.mass <= 1:
        parser.error(f'--mass must be in (0, 1], got {args.mass}')
    for name in ('num_images', 'num_show', 'batch_size'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1, got '
                         f'{getattr(args, name)}')
    if args.num_crops < 0:
        parser.error(f'--num-crops must be >= 0, got {args.num_crops}')
    if args.img_size is not None and args.img_size < 1:
        parser.error(f'--img-size must be >= 1, got {args.img_size}')
    return args


def attention_map_options(args: argparse.Namespace) -> dict:
    """The keyword options of :func:`mmcae.analysis.
    run_cls_attention_maps` and :func:`mmcae.analysis.
    run_attentive_probe_maps` from :func:`parse_attention_map_args`'s
    result, but the models."""
    return dict(
        img_dir=args.img_dir,
        num_images=args.num_images,
        img_size=args.img_size,
        num_crops=args.num_crops,
        batch_size=args.batch_size,
        mass=args.mass,
        num_show=args.num_show,
        seed=args.seed,
        out_dir=args.out_dir,
        device=args.device,
        trust=True if args.trust_checkpoint else None,
        cfg_options=args.cfg_options)


def cae_reconstruction_parser(doc: str = '') -> argparse.ArgumentParser:
    """The command line of ``tools/analysis_tools/cae_reconstruction.py``;
    ``doc``: the tool's docstring (its help)."""
    from .cae_reconstruction import DISPLAYS
    parser = tool_parser('cae_reconstruction.py', doc)
    add_model_arguments(parser, vit=False)
    parser.add_argument(
        '--images',
        nargs='+',
        help="image files or folders (default: the "
        "first config's training set)")
    parser.add_argument(
        '--num-images',
        type=int,
        help='images (default: 8 of the training set, all of --images)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of the masks (default 0)')
    parser.add_argument(
        '--display',
        choices=DISPLAYS,
        default=DISPLAYS[0],
        help='how normalized predictions are drawn (default input-stats)')
    add_run_arguments(parser, 'work_dirs/cae_reconstruction',
                      'override config keys of every --model config')
    return parser


def parse_cae_reconstruction_args(argv: Optional[List[str]] = None,
                                  doc: str = '') -> argparse.Namespace:
    """Parse and check the options of :func:`cae_reconstruction_parser`."""
    parser = cae_reconstruction_parser(doc)
    args = parser.parse_args(argv)
    check_model_arguments(parser, args)
    return args


def patch_tsne_parser(doc: str = '') -> argparse.ArgumentParser:
    """The command line of ``tools/analysis_tools/patch_tsne.py``;
    ``doc``: the tool's docstring (its help)."""
    parser = tool_parser('patch_tsne.py', doc)
    parser.add_argument('data_config', help='an mmseg dataset config')
    add_model_arguments(parser)
    parser.add_argument(
        '--split',
        default='val',
        choices=['train', 'val', 'test'],
        help='the dataloader whose dataset is read (default val)')
    parser.add_argument('--data-root', help="replaces the dataset's root")
    parser.add_argument(
        '--img-size',
        type=int,
        nargs='+',
        default=[224],
        help='crop H [W] (default 224)')
    parser.add_argument(
        '--threshold',
        type=float,
        default=0.5,
        help='a label covers MORE than this share of a patch (default 0.5)')
    parser.add_argument(
        '--max-images', type=int, default=500, help='default 500')
    parser.add_argument(
        '--max-per-class', type=int, default=1000, help='default 1000')
    parser.add_argument('--k', type=int, default=20, help='default 20')
    parser.add_argument(
        '--perplexity', type=float, default=30., help='default 30')
    parser.add_argument(
        '--tsne-metric', default='cosine', help='default cosine')
    parser.add_argument(
        '--tsne-iter', type=int, default=1000, help='default 1000')
    parser.add_argument(
        '--batch-size', type=int, default=16, help='images per forward')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='images, patches, k-NN split, t-SNE, random inits (default 0)')
    add_run_arguments(parser, 'work_dirs/patch_tsne',
                      'override config keys of every --model config')
    return parser


def parse_patch_tsne_args(argv: Optional[List[str]] = None,
                          doc: str = '') -> argparse.Namespace:
    """Parse and check the options of :func:`patch_tsne_parser`."""
    parser = patch_tsne_parser(doc)
    args = parser.parse_args(argv)
    check_model_arguments(parser, args)
    if len(args.img_size) > 2 or min(args.img_size) < 1:
        parser.error(f'--img-size takes H [W] >= 1, got {args.img_size}')
    if not 0 < args.threshold < 1:
        parser.error(f'--threshold must be in (0, 1), got {args.threshold}')
    for name in ('max_images', 'max_per_class', 'k', 'batch_size',
                 'tsne_iter'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be >= 1')
    if args.perplexity <= 0:
        parser.error('--perplexity must be > 0')
    return args
