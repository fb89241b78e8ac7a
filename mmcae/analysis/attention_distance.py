"""Mean attention distance (ViT paper, Fig. 7 right; Uni-SSL Fig. 3).

For one attention head, the attention distance of a query patch is the
distance in pixels between its centre and the centres of the key patches,
weighted by the attention the query gives them:

    d(q) = sum_k a(q, k) * ||c_q - c_k||,

averaged over the query patches and the images. It measures how far a
head reaches, like the receptive field of a CNN layer.

Prefix tokens ([CLS], a distillation token) have no place in the image.
They are handled so:

* Queries: only patch tokens are queries (a [CLS] query has no centre to
  measure from).
* Keys: only patch tokens are keys, and by default
  (``renormalize=True``) each query's weights over the patch keys are
  renormalized to sum to 1. The distance is then the expected distance
  of the key patch a query reads from, given that it reads from a patch:
  the spatial reach of the head, whatever share the [CLS] key takes.
  Taking the weights as they are (``renormalize=False``) counts the
  attention to [CLS] as distance 0, i.e. as perfectly local, although
  [CLS] is a summary of the whole image; heads that park much of their
  attention on [CLS] (common in supervised and DINO ViTs) would look
  local for that reason alone, which is exactly the comparison of
  Fig. 3 (a). ``renormalize=False`` matches the widely used notebook
  implementations that slice the patch block of the attention matrix
  without renormalizing; both agree when [CLS] gets no attention.
  A query that gives all its attention to prefix tokens has distance 0
  either way.

This module also holds what the analysis tools share: finding and loading
images (the ImageNet test view), building a model from a config and
loading a checkpoint into it.
"""
import argparse
import glob
import inspect
import os.path as osp
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from PIL import Image
from torch import nn

from mmcae.utils.errors import UserError
from .attention_recorder import record_attention

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png')
#: ImageNet statistics in RGB order, on the 0-255 scale
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)
#: the ImageNet test view: shorter side to 256, centre 224 crop
RESIZE_RATIO = 256 / 224

GridSize = Union[int, Sequence[int]]


def _grid(grid_size: GridSize) -> Tuple[int, int]:
    if isinstance(grid_size, int):
        grid = (grid_size, grid_size)
    else:
        grid = tuple(int(v) for v in grid_size)
    if len(grid) != 2 or min(grid) < 1:
        raise ValueError('grid_size must be a positive int or (rows, cols), '
                         f'got {grid_size!r}')
    return grid  # type: ignore


def patch_centres(grid_size: GridSize, patch_size: float = 16) -> torch.Tensor:
    """Pixel coordinates (y, x) of the patch centres in row-major order.

    Returns:
        Tensor: (rows * cols, 2), float64.
    """
    rows, cols = _grid(grid_size)
    ys, xs = torch.meshgrid(
        torch.arange(rows, dtype=torch.float64),
        torch.arange(cols, dtype=torch.float64),
        indexing='ij')
    return (torch.stack([ys, xs], dim=-1).reshape(-1, 2) + 0.5) * patch_size


def patch_distances(grid_size: GridSize,
                    patch_size: float = 16) -> torch.Tensor:
    """Euclidean distances in pixels between all pairs of patch centres.

    Returns:
        Tensor: (N, N) with N = rows * cols, float64.
    """
    centres = patch_centres(grid_size, patch_size)
    offsets = centres[:, None] - centres[None]
    # exact for axis-aligned pairs (cdist's matrix-product path is not)
    return torch.hypot(offsets[..., 0], offsets[..., 1])


def attention_distance_per_image(attn: torch.Tensor,
                                 grid_size: GridSize,
                                 patch_size: float = 16,
                                 num_prefix_tokens: int = 1,
                                 renormalize: bool = True) -> torch.Tensor:
    """Mean attention distance of each head in each image.

    Args:
        attn (Tensor): softmax weights (B, heads, T, T) (or (heads, T, T)
            for one image), T = num_prefix_tokens + rows * cols, tokens in
            the order [prefix tokens, patches row-major].
        grid_size (int | tuple): patch grid (rows, cols).
        patch_size (float): patch side in pixels. Defaults to 16.
        num_prefix_tokens (int): tokens before the patches ([CLS]: 1).
        renormalize (bool): renormalize each query's weights over the
            patch keys (see the module docstring). Defaults to True.

    Returns:
        Tensor: (B, heads) distances in pixels (float64), averaged over
        the query patches.

    Raises:
        ValueError: ``attn`` has the wrong rank or a token count that is
            not ``num_prefix_tokens + rows * cols``.
    """
    rows, cols = _grid(grid_size)
    if attn.dim() == 3:
        attn = attn.unsqueeze(0)
    if attn.dim() != 4:
        raise ValueError('attn must be (B, heads, T, T) or (heads, T, T), '
                         f'got shape {tuple(attn.shape)}')
    if num_prefix_tokens < 0:
        raise ValueError(
            f'num_prefix_tokens must be >= 0, got {num_prefix_tokens}')
    num_tokens = num_prefix_tokens + rows * cols
    if attn.shape[-2:] != (num_tokens, num_tokens):
        raise ValueError(
            f'attn has {tuple(attn.shape[-2:])} tokens, but '
            f'{num_prefix_tokens} prefix tokens + a {rows}x{cols} grid '
            f'make {num_tokens}')
    if patch_size <= 0:
        raise ValueError(f'patch_size must be positive, got {patch_size}')
    weights = attn[..., num_prefix_tokens:, num_prefix_tokens:].to(
        torch.float64)
    distances = patch_distances((rows, cols), patch_size).to(weights.device)
    # (B, heads, queries): the weighted distance sum of each query
    per_query = (weights * distances).sum(dim=-1)
    if renormalize:
        mass = weights.sum(dim=-1)
        per_query = per_query / mass.clamp_min(torch.finfo(mass.dtype).tiny)
    return per_query.mean(dim=-1)


def attention_distance(attn: torch.Tensor,
                       grid_size: GridSize,
                       patch_size: float = 16,
                       num_prefix_tokens: int = 1,
                       renormalize: bool = True) -> torch.Tensor:
    """Mean attention distance of each head, in pixels.

    The distance of a query patch is the sum over the key patches of its
    attention weight times the distance between the two patch centres;
    it is averaged over the query patches and the batch. Prefix tokens:
    see the module docstring.

    Args:
        attn (Tensor): (B, heads, T, T) or (heads, T, T) softmax weights.
        grid_size (int | tuple): patch grid (rows, cols).
        patch_size (float): patch side in pixels. Defaults to 16.
        num_prefix_tokens (int): tokens before the patches. Defaults to 1.
        renormalize (bool): renormalize each query's weights over the
            patch keys. Defaults to True.

    Returns:
        Tensor: (heads, ) float64.
    """
    return attention_distance_per_image(attn, grid_size, patch_size,
                                        num_prefix_tokens,
                                        renormalize).mean(dim=0)


def patch_size_of(backbone: nn.Module) -> int:
    """The patch size of a ViT backbone: the stride of the first
    convolution of its ``patch_embed`` (mmcae ``proj``, mmpretrain
    ``projection``).

    Raises:
        ValueError: no such convolution, or one with overlapping patches.
    """
    patch_embed = getattr(backbone, 'patch_embed', None)
    convs = [] if patch_embed is None else [
        m for m in patch_embed.modules() if isinstance(m, nn.Conv2d)
    ]
    if not convs:
        raise ValueError(f'{type(backbone).__name__} has no patch_embed '
                         'convolution to read the patch size from')
    conv = convs[0]
    if conv.kernel_size != conv.stride or conv.stride[0] != conv.stride[1]:
        raise ValueError(
            f'{type(backbone).__name__}: the patch embedding has kernel '
            f'{conv.kernel_size} and stride {conv.stride}; square, '
            'non-overlapping patches are needed')
    return int(conv.stride[0])


def full_image_forward(backbone: nn.Module) -> Callable[[torch.Tensor],
                                                        object]:
    """A function running ``backbone`` on whole images: masked-image
    backbones (mmpretrain ``MAEViT``, ``BEiTPretrainViT``..., whose forward
    takes ``mask``) get ``mask=None``, which encodes every patch."""
    try:
        parameters = inspect.signature(backbone.forward).parameters
    except (TypeError, ValueError):
        parameters = {}
    if 'mask' in parameters:
        return lambda images: backbone(images, mask=None)
    return backbone


@torch.no_grad()
def model_attention_distance(backbone: nn.Module,
                             images: torch.Tensor,
                             patch_size: Optional[int] = None,
                             num_prefix_tokens: Optional[int] = None,
                             batch_size: int = 16,
                             renormalize: bool = True,
                             forward: Optional[Callable] = None
                             ) -> np.ndarray:
    """Mean attention distance of every head of every layer of a model.

    Args:
        backbone (nn.Module): a ViT with supported attention layers (see
            :func:`~mmcae.analysis.record_attention`), in eval mode.
        images (Tensor): normalized images (N, 3, H, W), on the model's
            device or the CPU (batches are moved to the model's device).
        patch_size (int, optional): defaults to :func:`patch_size_of`.
        num_prefix_tokens (int, optional): tokens before the patches;
            defaults to the layer's token count minus the patches.
        batch_size (int): images per forward pass.
        renormalize (bool): see :func:`attention_distance`.
        forward (callable, optional): runs the model on a batch; defaults
            to :func:`full_image_forward`.

    Returns:
        np.ndarray: (layers, heads) distances in pixels, averaged over all
        images; layers in forward order.
    """
    if images.dim() != 4 or images.shape[0] == 0:
        raise ValueError('images must be a non-empty (N, C, H, W) batch, '
                         f'got shape {tuple(images.shape)}')
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    patch_size = patch_size or patch_size_of(backbone)
    height, width = images.shape[-2:]
    if height % patch_size or width % patch_size:
        raise ValueError(f'image size {(height, width)} is not a multiple '
                         f'of the patch size {patch_size}')
    grid = (height // patch_size, width // patch_size)
    forward = forward or full_image_forward(backbone)
    device = next(backbone.parameters()).device

    def reduce(weights: torch.Tensor) -> torch.Tensor:
        prefix = num_prefix_tokens
        if prefix is None:
            prefix = weights.shape[-1] - grid[0] * grid[1]
        return attention_distance_per_image(weights, grid, patch_size,
                                            prefix, renormalize).sum(0).cpu()

    totals: Optional[torch.Tensor] = None
    with record_attention(backbone, reduce=reduce) as recorder:
        for start in range(0, images.shape[0], batch_size):
            recorder.clear()
            forward(images[start:start + batch_size].to(device))
            sums = torch.stack(recorder.maps)
            if totals is not None and sums.shape != totals.shape:
                raise RuntimeError(
                    f'layers x heads changed between batches: '
                    f'{tuple(totals.shape)} then {tuple(sums.shape)}')
            totals = sums if totals is None else totals + sums
    return (totals / images.shape[0]).numpy()


def find_images(img_dir: str, num_images: Optional[int] = None) -> List[str]:
    """Image files (.jpg, .jpeg, .png, any case) under ``img_dir``,
    searched recursively, sorted; the first ``num_images`` of them.

    Raises:
        UserError: not a folder, no images, or ``num_images`` < 1.
    """
    if num_images is not None and num_images < 1:
        raise UserError(f'--num-images must be >= 1, got {num_images}')
    if not osp.isdir(img_dir):
        raise UserError(f'image folder not found: {img_dir!r}')
    paths = sorted(
        p for p in glob.glob(osp.join(img_dir, '**', '*'), recursive=True)
        if p.lower().endswith(IMAGE_SUFFIXES) and osp.isfile(p))
    if not paths:
        suffixes = ', '.join(IMAGE_SUFFIXES)
        raise UserError(f'no image files ({suffixes}) under {img_dir!r}')
    return paths[:num_images] if num_images else paths


def load_image(path: str, img_size: int = 224) -> np.ndarray:
    """The ImageNet test view as uint8 RGB (img_size, img_size, 3): the
    shorter side resized (bicubic) to ``round(img_size * 256 / 224)``
    (256 for 224), then the centre ``img_size`` square.

    Raises:
        UserError: the file cannot be read, or ``img_size`` < 1.
    """
    if img_size < 1:
        raise UserError(f'--img-size must be >= 1, got {img_size}')
    try:
        image = Image.open(path).convert('RGB')
    except OSError as err:
        raise UserError(f'cannot read image {path!r}: {err}') from err
    short = max(img_size, int(round(img_size * RESIZE_RATIO)))
    width, height = image.size
    scale = short / min(width, height)
    size = (max(short, int(round(width * scale))),
            max(short, int(round(height * scale))))
    image = image.resize(size, Image.BICUBIC)
    left = (size[0] - img_size) // 2
    top = (size[1] - img_size) // 2
    return np.asarray(
        image.crop((left, top, left + img_size, top + img_size)))


def load_images(paths: Sequence[str], img_size: int = 224) -> torch.Tensor:
    """Images as the model input: :func:`load_image` views normalized
    with the ImageNet mean and std (RGB order).

    Returns:
        Tensor: (N, 3, img_size, img_size) float32.
    """
    crops = np.stack([load_image(p, img_size) for p in paths])
    images = torch.from_numpy(crops).permute(0, 3, 1, 2).float()
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (images - mean) / std


def build_model(cfg, seed: int = 0, random_init: bool = True) -> nn.Module:
    """The config's ``model``, built in its ``default_scope`` (mmpretrain
    if unset), in eval mode.

    Args:
        cfg (Config): a loaded config (:func:`mmcae.utils.config.
            load_config`).
        seed (int): torch seed of the construction and initialization.
        random_init (bool): run ``init_weights`` (the config's random
            initialization). Skip it when a checkpoint is loaded next.

    Raises:
        UserError: the config has no ``model``, or it cannot be built.
    """
    from mmengine.logging import MMLogger
    from mmengine.registry import MODELS, DefaultScope
    if cfg.get('model') is None:
        raise UserError(f"config '{cfg.filename}' has no 'model'")
    torch.manual_seed(seed)
    scope = cfg.get('default_scope') or 'mmpretrain'
    with DefaultScope.overwrite_default_scope(scope):
        try:
            model = MODELS.build(cfg.model)
        except (KeyError, TypeError, ValueError) as err:
            raise UserError(f"config '{cfg.filename}': the model cannot be "
                            f'built: {type(err).__name__}: {err}') from err
        if random_init:
            try:
                logger = MMLogger.get_current_instance()
            except RuntimeError:  # no logger yet
                logger = MMLogger.get_instance('mmcae.analysis')
            level = logger.level
            logger.setLevel('WARNING')  # no per-parameter init report
            try:
                model.init_weights()
            finally:
                logger.setLevel(level)
    model.eval()  # some backbones' train() returns None
    return model


def load_checkpoint(model: nn.Module,
                    path: str,
                    required_prefixes: Sequence[str] = ('backbone.', ),
                    trust: Optional[bool] = None) -> List[str]:
    """Load a checkpoint of the whole model (``state_dict``, as mmengine
    saves it) into ``model``.

    Every parameter and buffer of ``model`` whose name starts with one of
    ``required_prefixes`` must be in the file with the same shape; other
    keys are loaded when they fit and otherwise left alone (e.g. the
    classification head of a config whose backbone is analysed).

    Returns:
        list[str]: the model keys not loaded (outside the prefixes).

    Raises:
        UserError: missing file, unreadable file, or required keys that are
            missing or of another shape (the message names file and keys).
    """
    from mmcae.utils.checkpoint_compat import (UnsafeCheckpointError,
                                               load_local_checkpoint)
    try:
        checkpoint = load_local_checkpoint(path, 'cpu', trust)
    except FileNotFoundError as err:
        raise UserError(f'checkpoint not found: {path}') from err
    except (UnsafeCheckpointError, UserError):
        raise  # already one message naming the file
    except Exception as err:  # truncated or not a torch file at all
        raise UserError(f'{path} is not a readable checkpoint '
                        f'({type(err).__name__}: {err})') from err
    state = checkpoint
    if isinstance(state, dict) and isinstance(state.get('state_dict'), dict):
        state = state['state_dict']
    if not isinstance(state, dict) or not state or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise UserError(f"{path} holds no state dict of tensors (expected "
                        "a checkpoint with the model's 'state_dict')")
    if all(k.startswith('module.') for k in state):  # saved from DDP
        state = {k[len('module.'):]: v for k, v in state.items()}
    own = model.state_dict()
    required = [k for k in own if k.startswith(tuple(required_prefixes))]
    missing = [k for k in required if k not in state]
    mismatched = [
        f'{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}'
        for k in required if k in state and state[k].shape != own[k].shape
    ]
    if missing or mismatched:
        raise UserError(
            f"{path} does not fit the config's model: {len(missing)} "
            f'missing keys {missing[:4]}, {len(mismatched)} shape '
            f'mismatches (checkpoint vs model) {mismatched[:4]}; keys under '
            f'{list(required_prefixes)} must all match. Check the config; '
            'for an encoder-only checkpoint of another layout (MAE, DINO, '
            'DeiT, timm) use --vit with --arch')
    loadable = {
        k: v
        for k, v in state.items() if k in own and v.shape == own[k].shape
    }
    model.load_state_dict(loadable, strict=False)
    return [k for k in own if k not in loadable]


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
