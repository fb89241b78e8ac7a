"""How does MAE's decoder attend? Uni-SSL Sec. 2.2, Eq. 3, Fig. 1a, Fig. 2.

All images are masked with ONE fixed random mask (seeded), so that the
mask tokens sit at the same positions in every image. For mmpretrain's
``MAE`` (backbone ``MAEViT``, neck ``MAEPretrainDecoder``) the backbone's
``random_masking`` is replaced on the instance, for the duration of the
analysis, by :class:`FixedMasking` (same signature and return values:
``(x_masked, mask, ids_restore)``, mask 1 = removed). The decoder then
runs on [CLS] + all patches in their original order (after the unshuffle
by ``ids_restore``): decoder token ``1 + p`` is patch ``p`` (row-major).

Per decoder layer ``l``:

* Eq. 3, the attention similarity ``S_l``: for image ``i``,
  ``A_{l,i}`` (k x h x n) holds the attention of the k mask-token queries
  of the h heads over the n patch keys (the [CLS] key is left out, as the
  paper's n counts patches; weights taken as they are). With ``u_i`` the
  flattened ``A_{l,i}`` scaled to unit length,

      S_l = sum_{i != j} <u_i, u_j> / (I (I - 1))
          = (||sum_i u_i||^2 - sum_i ||u_i||^2) / (I (I - 1)),

  so only the running sum of the ``u_i`` is kept (memory of one map).
* Fig. 2, the average relative attention map: the attention of the mask
  token at grid cell (r, c) over the patch keys, placed on a
  (2H - 1) x (2W - 1) canvas whose centre is the query (key (r', c') at
  offset (r' - r, c' - c)), averaged over the mask tokens, heads and
  images. The [CLS] key is left out, so a map sums to the mean attention
  the mask tokens give to patches. On a finite grid even uniform
  attention averages to a map peaked at the centre (a query has more
  keys at small offsets than at large ones), so read the peak against
  that baseline: uniform attention over n patches puts 1/n on each key.
"""
import json
import os
import os.path as osp
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .attention_distance import GridSize, _grid
from .attention_recorder import record_attention


class FixedMasking:
    """A drop-in for ``MAEViT.random_masking`` that masks every image of
    every batch at the same positions.

    The patches are shuffled by one permutation, ``torch.randperm`` of a
    generator seeded with ``seed``; the first ``int(L * (1 - ratio))``
    are kept (MAE's count), the rest are masked.

    Args:
        seed (int): seed of the permutation.

    Attributes:
        mask (Tensor | None): bool (L, ), True = masked, after a call.
        calls (int): how often the masking ran.
    """

    def __init__(self, seed: int = 0):
        self.seed = seed
        self.mask: Optional[torch.Tensor] = None
        self.calls = 0

    def permutation(self, num_patches: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        return torch.randperm(num_patches, generator=generator)

    @property
    def masked_index(self) -> torch.Tensor:
        """Indices of the masked patches, ascending (row-major grid)."""
        if self.mask is None:
            raise RuntimeError('the masking has not run yet')
        return self.mask.nonzero().flatten()

    def __call__(
        self,
        x: torch.Tensor,
        mask_ratio: float = 0.75
    ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mask ``x`` (B, L, C) like ``MAEViT.random_masking``.

        Returns:
            tuple: the kept tokens (B, L_keep, C) in shuffled order, the
            mask (B, L) with 1 for removed patches, and ``ids_restore``
            (B, L), the inverse permutation.
        """
        if not 0 <= mask_ratio < 1:
            raise ValueError(f'mask_ratio must be in [0, 1), got {mask_ratio}')
        batch, length, channels = x.shape
        num_keep = int(length * (1 - mask_ratio))
        ids_shuffle = self.permutation(length).to(x.device)
        ids_restore = torch.argsort(ids_shuffle)
        ids_keep = ids_shuffle[:num_keep]
        kept = x[:, ids_keep]
        mask = torch.ones(length, device=x.device)
        mask[ids_keep] = 0
        self.mask = mask.bool().cpu()
        self.calls += 1
        return (kept, mask.expand(batch, -1).clone(),
                ids_restore.expand(batch, -1).clone())


@contextmanager
def fixed_masking(backbone: nn.Module,
                  seed: int = 0,
                  mask_ratio: Optional[float] = None
                  ) -> Iterator[FixedMasking]:
    """Make ``backbone.random_masking`` a :class:`FixedMasking` inside the
    context (and ``backbone.mask_ratio`` ``mask_ratio`` if given); both
    are restored on exit.

    Raises:
        ValueError: the backbone has no ``random_masking``.
    """
    if not callable(getattr(backbone, 'random_masking', None)):
        raise ValueError(f'{type(backbone).__name__} has no random_masking '
                         "to fix (expected mmpretrain's MAEViT)")
    masking = FixedMasking(seed)
    own = backbone.__dict__.get('random_masking')
    old_ratio = getattr(backbone, 'mask_ratio', None)
    backbone.random_masking = masking
    if mask_ratio is not None:
        backbone.mask_ratio = mask_ratio
    try:
        yield masking
    finally:
        if own is not None:
            backbone.random_masking = own
        else:
            del backbone.random_masking
        if mask_ratio is not None:
            backbone.mask_ratio = old_ratio


def mask_token_attention(attn: torch.Tensor,
                         masked_index: torch.Tensor,
                         num_prefix_tokens: int = 1) -> torch.Tensor:
    """The paper's ``A_{l,i}``: attention of the mask-token queries over
    the patch keys.

    Args:
        attn (Tensor): (B, heads, T, T) decoder attention, tokens
            [prefix tokens, patches in grid order].
        masked_index (Tensor): (k, ) indices of the masked patches.
        num_prefix_tokens (int): tokens before the patches ([CLS]: 1).

    Returns:
        Tensor: (B, k, heads, n), n = T - num_prefix_tokens.
    """
    if attn.dim() != 4 or attn.shape[-1] != attn.shape[-2]:
        raise ValueError('attn must be (B, heads, T, T), got shape '
                         f'{tuple(attn.shape)}')
    num_patches = attn.shape[-1] - num_prefix_tokens
    masked_index = torch.as_tensor(masked_index).long().flatten()
    if num_patches < 1 or masked_index.numel() == 0 or \
            int(masked_index.min()) < 0 or \
            int(masked_index.max()) >= num_patches:
        raise ValueError(
            f'masked_index must hold patch indices in [0, {num_patches}) '
            f'({attn.shape[-1]} tokens, {num_prefix_tokens} prefix), got '
            f'{masked_index.tolist()}')
    queries = masked_index.to(attn.device) + num_prefix_tokens
    rows = attn[:, :, queries, num_prefix_tokens:]
    return rows.permute(0, 2, 1, 3)


class SimilarityAccumulator:
    """Eq. 3 over a stream of images: the mean cosine similarity of the
    maps of all ordered pairs of different images, from the running sum
    of the unit-length maps (float64)."""

    def __init__(self):
        self.total: Optional[torch.Tensor] = None
        self.squares = 0.
        self.count = 0

    def update(self, maps: torch.Tensor) -> None:
        """Add images: ``maps`` (B, ...), one map per image."""
        units = F.normalize(maps.reshape(maps.shape[0], -1).double(), dim=1)
        if self.total is not None and units.shape[1] != self.total.numel():
            raise ValueError(
                f'map size changed: {self.total.numel()} values per image '
                f'before, {units.shape[1]} now')
        total = units.sum(dim=0)
        self.total = total if self.total is None else self.total + total
        # 1 per image, 0 for an all-zero map (its cosine is taken as 0)
        self.squares += float((units * units).sum())
        self.count += units.shape[0]

    def value(self) -> float:
        """S = sum_{i != j} cos(A_i, A_j) / (I (I - 1)).

        Raises:
            ValueError: fewer than two images.
        """
        if self.count < 2:
            raise ValueError('Eq. 3 needs at least 2 images, got '
                             f'{self.count}')
        pairs = float(self.total @ self.total) - self.squares
        return pairs / (self.count * (self.count - 1))


def attention_similarity(maps: torch.Tensor) -> float:
    """Eq. 3 for the maps (I, ...) of I images (see
    :class:`SimilarityAccumulator`)."""
    accumulator = SimilarityAccumulator()
    accumulator.update(maps)
    return accumulator.value()


def relative_attention_sum(rows: torch.Tensor, query_index: torch.Tensor,
                           grid_size: GridSize) -> torch.Tensor:
    """Attention rows of grid queries summed on a query-centred canvas.

    Args:
        rows (Tensor): (..., Q, n) attention of Q queries over the n =
            H * W patch keys (row-major); leading dims (batch, heads) are
            summed.
        query_index (Tensor): (Q, ) grid index of each query.
        grid_size (int | tuple): (H, W).

    Returns:
        Tensor: (2H - 1, 2W - 1) float64; cell (H - 1 + dr, W - 1 + dc)
        holds the summed weight of keys at offset (dr, dc) from their
        query (rows down, columns right).
    """
    height, width = _grid(grid_size)
    query_index = torch.as_tensor(query_index).long().flatten()
    if rows.dim() < 2 or rows.shape[-1] != height * width or \
            rows.shape[-2] != query_index.numel():
        raise ValueError(
            f'rows must be (..., {query_index.numel()} queries, '
            f'{height * width} keys) for a {height}x{width} grid, got '
            f'shape {tuple(rows.shape)}')
    if query_index.numel() and (int(query_index.min()) < 0 or int(
            query_index.max()) >= height * width):
        raise ValueError(f'query_index must be in [0, {height * width}), '
                         f'got {query_index.tolist()}')
    weights = rows.reshape(-1, *rows.shape[-2:]).double().sum(dim=0).cpu()
    keys = torch.arange(height * width)
    query_row, query_col = query_index // width, query_index % width
    key_row, key_col = keys // width, keys % width
    cell = ((key_row[None] - query_row[:, None] + height - 1) *
            (2 * width - 1) + (key_col[None] - query_col[:, None] + width - 1))
    canvas = torch.zeros((2 * height - 1) * (2 * width - 1),
                         dtype=torch.float64)
    canvas.index_add_(0, cell.flatten(), weights.flatten())
    return canvas.view(2 * height - 1, 2 * width - 1)


def relative_attention_map(rows: torch.Tensor, query_index: torch.Tensor,
                           grid_size: GridSize) -> torch.Tensor:
    """:func:`relative_attention_sum` averaged over the maps (all leading
    dims and the queries): the Fig. 2 map of one layer."""
    count = rows[..., 0].numel()
    if count == 0:
        raise ValueError('no attention rows to average')
    return relative_attention_sum(rows, query_index, grid_size) / count


def mae_parts(model: nn.Module) -> Tuple[nn.Module, nn.Module]:
    """The backbone (with ``random_masking``) and the decoder neck of an
    mmpretrain ``MAE``.

    Raises:
        ValueError: ``model`` is not MAE-like.
    """
    backbone = getattr(model, 'backbone', None)
    neck = getattr(model, 'neck', None)
    if backbone is None or neck is None or not callable(
            getattr(backbone, 'random_masking', None)):
        raise ValueError(
            f'{type(model).__name__} is not an MAE: a backbone with '
            'random_masking (MAEViT) and a decoder neck '
            '(MAEPretrainDecoder) are needed')
    return backbone, neck


def mae_grid(backbone: nn.Module) -> Tuple[int, int]:
    """The patch grid of an ``MAEViT`` (``patch_resolution``)."""
    grid = getattr(backbone, 'patch_resolution', None)
    if grid is None:
        raise ValueError(f'{type(backbone).__name__} has no '
                         'patch_resolution')
    return _grid(grid)


@torch.no_grad()
def analyze_mae_decoder(model: nn.Module,
                        images: torch.Tensor,
                        seed: int = 0,
                        batch_size: int = 16,
                        mask_ratio: Optional[float] = None) -> Dict:
    """Eq. 3 similarity and Fig. 2 relative maps of every decoder layer.

    Args:
        model (nn.Module): mmpretrain ``MAE`` in eval mode.
        images (Tensor): normalized images (N, 3, H, W) of the backbone's
            input size, N >= 2.
        seed (int): seed of the one fixed mask.
        batch_size (int): images per forward pass.
        mask_ratio (float, optional): defaults to the backbone's.

    Returns:
        dict: ``similarity`` (layers, ) Eq. 3; ``relative_maps`` (layers,
        2H - 1, 2W - 1); ``masked_index`` (k, ) masked patches;
        ``grid`` (H, W); ``num_images``; ``mask_ratio``; ``layer_names``.
    """
    backbone, neck = mae_parts(model)
    if images.dim() != 4 or images.shape[0] < 2:
        raise ValueError('images must be (N, C, H, W) with N >= 2 (Eq. 3 '
                         f'compares pairs), got shape {tuple(images.shape)}')
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    grid = mae_grid(backbone)
    device = next(model.parameters()).device
    similarity: List[SimilarityAccumulator] = []
    sums: List[torch.Tensor] = []
    names: List[str] = []
    count = 0
    with fixed_masking(backbone, seed, mask_ratio) as masking, \
            record_attention(neck) as recorder:
        for start in range(0, images.shape[0], batch_size):
            recorder.clear()
            batch = images[start:start + batch_size].to(device)
            latent, mask, ids_restore = backbone(batch)
            fixed = masking.calls > 0 and bool(
                (mask.bool().cpu() == masking.mask).all())
            if not fixed:
                raise RuntimeError(
                    'the backbone did not use the fixed mask (does its '
                    'forward call self.random_masking?)')
            neck(latent, ids_restore)
            if not similarity:
                similarity = [SimilarityAccumulator() for _ in recorder.maps]
                sums = [torch.zeros(2 * grid[0] - 1, 2 * grid[1] - 1,
                                    dtype=torch.float64)
                        for _ in recorder.maps]
                names = list(recorder.names)
            if len(recorder.maps) != len(similarity):
                raise RuntimeError(
                    f'{len(recorder.maps)} decoder attention layers ran, '
                    f'{len(similarity)} in the first batch')
            masked_index = masking.masked_index
            for layer, weights in enumerate(recorder.maps):
                prefix = weights.shape[-1] - grid[0] * grid[1]
                rows = mask_token_attention(weights, masked_index, prefix)
                similarity[layer].update(rows)
                # (B, k, heads, n) -> (B, heads, k, n) for the canvas
                sums[layer] += relative_attention_sum(
                    rows.transpose(1, 2), masked_index, grid)
            # maps averaged: images x heads x mask tokens
            count += rows.shape[0] * rows.shape[2] * rows.shape[1]
    return dict(
        similarity=np.array([s.value() for s in similarity]),
        relative_maps=torch.stack(sums).numpy() / count,
        masked_index=masking.masked_index.numpy(),
        grid=grid,
        num_images=int(images.shape[0]),
        mask_ratio=float(backbone.mask_ratio
                         if mask_ratio is None else mask_ratio),
        layer_names=names)


def mae_img_size(backbone: nn.Module) -> int:
    """The (square) input size of an ``MAEViT``: its masked forward adds
    the position embedding without resizing, so it takes no other size."""
    from .attention_distance import patch_size_of
    rows, cols = mae_grid(backbone)
    if rows != cols:
        raise ValueError(f'{type(backbone).__name__} has a {rows}x{cols} '
                         'grid; square inputs are needed')
    return rows * patch_size_of(backbone)


def build_mae(cfg,
              checkpoint: Optional[str] = None,
              seed: int = 0,
              trust: Optional[bool] = None) -> nn.Module:
    """The config's MAE in eval mode, randomly initialized (seeded) or
    with a checkpoint of the whole model (every ``backbone.`` and
    ``neck.`` key must fit).

    Raises:
        UserError: the config's model is not an MAE, or the checkpoint
            does not fit.
    """
    from mmcae.utils.errors import UserError
    from .models import build_model, load_checkpoint
    model = build_model(cfg, seed, random_init=checkpoint is None)
    try:
        mae_parts(model)
    except ValueError as err:
        raise UserError(f"config '{cfg.filename}': {err}") from err
    if checkpoint is not None:
        load_checkpoint(model, checkpoint, ('backbone.', 'neck.'), trust)
    model.eval()  # some backbones' train() returns None
    return model


def run_decoder_analysis(config: str,
                         checkpoint: Optional[str] = None,
                         img_dir: str = '',
                         num_images: Optional[int] = 100,
                         img_size: Optional[int] = None,
                         seed: int = 0,
                         mask_ratio: Optional[float] = None,
                         batch_size: int = 16,
                         device: str = 'cpu',
                         trust: Optional[bool] = None,
                         cfg_options: Optional[dict] = None) -> Dict:
    """What the decoder tools share: build the config's MAE (with the
    checkpoint of the whole model, or its random init when None), load the
    images, run :func:`analyze_mae_decoder`.

    Args:
        config (str): an mmpretrain MAE config.
        checkpoint (str, optional): a checkpoint of that whole model.
        img_dir (str): image folder (:func:`mmcae.analysis.find_images`).
        num_images (int, optional): the first images of the folder (>= 2).
        img_size (int, optional): must be the backbone's (its default).
        seed, mask_ratio, batch_size: see :func:`analyze_mae_decoder`.
        device (str): where the model runs.
        trust, cfg_options: checkpoint trust; config overrides.

    Returns:
        dict: the JSON-ready record (``relative_maps`` as an array).

    Raises:
        UserError: a bad file, image size or model.
    """
    from mmcae.utils.config import load_config
    from mmcae.utils.errors import UserError
    from .images import find_images, load_images
    if checkpoint is not None and not osp.isfile(checkpoint):
        raise UserError(f'checkpoint not found: {checkpoint}')
    cfg = load_config(config, cfg_options)
    paths = find_images(img_dir, num_images)
    if len(paths) < 2:
        raise UserError(f'Eq. 3 compares pairs of images: {img_dir} '
                        f'holds {len(paths)}')
    model = build_mae(cfg, checkpoint, trust=trust)
    model.to(torch.device(device))
    backbone, _ = mae_parts(model)
    size = mae_img_size(backbone)
    if img_size is not None and img_size != size:
        raise UserError(f'--img-size {img_size}: the MAE backbone '
                        f'takes {size} x {size} inputs only')
    result = analyze_mae_decoder(
        model,
        load_images(paths, size),
        seed=seed,
        batch_size=batch_size,
        mask_ratio=mask_ratio)
    return dict(
        config=config,
        checkpoint=checkpoint,
        random_init=checkpoint is None,
        images=paths,
        num_images=result['num_images'],
        img_size=size,
        grid=list(result['grid']),
        seed=seed,
        mask_ratio=result['mask_ratio'],
        masked_index=result['masked_index'].tolist(),
        layer_names=result['layer_names'],
        similarity=result['similarity'].tolist(),
        relative_maps=result['relative_maps'])


def summarize_relative_map(canvas: np.ndarray) -> Dict[str, float]:
    """Locality numbers of one (2H - 1) x (2W - 1) map: the weight at
    offset 0, the mass within 1 and 2 patches (Chebyshev), the mass on
    patches and the attention-weighted mean offset length in patches."""
    rows, cols = canvas.shape
    centre_r, centre_c = rows // 2, cols // 2
    dr, dc = np.meshgrid(
        np.arange(rows) - centre_r, np.arange(cols) - centre_c,
        indexing='ij')
    chebyshev = np.maximum(np.abs(dr), np.abs(dc))
    total = float(canvas.sum())
    return dict(
        centre=float(canvas[centre_r, centre_c]),
        mass_within_1=float(canvas[chebyshev <= 1].sum()),
        mass_within_2=float(canvas[chebyshev <= 2].sum()),
        patch_mass=total,
        mean_offset=float((canvas * np.hypot(dr, dc)).sum() /
                          total) if total > 0 else 0.)


def _write_json(record: Dict, path: str) -> None:
    with open(path, 'w') as f:
        json.dump(record, f, indent=1)


def run_decoder_similarity(out_dir: str = 'work_dirs/decoder_attention',
                           **options) -> Dict:
    """Eq. 3 per decoder layer (Uni-SSL Fig. 1 (a)):
    ``decoder_attention_similarity.png`` and ``.json`` in ``out_dir``.

    Args:
        out_dir (str): where the figure and the record go.
        **options: those of :func:`run_decoder_analysis`.

    Returns:
        dict: the record (the JSON's content).
    """
    from .figures import plot_similarity
    record = run_decoder_analysis(**options)
    record.pop('relative_maps')
    os.makedirs(out_dir, exist_ok=True)
    figure = osp.join(out_dir, 'decoder_attention_similarity.png')
    plot_similarity(record['similarity'], figure)
    record['figure'] = figure
    _write_json(record, osp.join(out_dir, 'decoder_attention_similarity.json'))
    return record


def run_relative_attention_maps(
        radius: Optional[int] = None,
        out_dir: str = 'work_dirs/decoder_attention',
        **options) -> Dict:
    """The average relative attention map per decoder layer (Uni-SSL
    Fig. 2): ``relative_attention_maps.png`` and ``.json`` in ``out_dir``.

    Args:
        radius (int, optional): plot only offsets up to this many patches.
        out_dir (str): where the figure and the record go.
        **options: those of :func:`run_decoder_analysis`.

    Returns:
        dict: the record, with :func:`summarize_relative_map` per layer.
    """
    from .figures import plot_relative_maps
    record = run_decoder_analysis(**options)
    record.pop('similarity')
    maps = record.pop('relative_maps')
    os.makedirs(out_dir, exist_ok=True)
    figure = osp.join(out_dir, 'relative_attention_maps.png')
    plot_relative_maps(maps, radius, figure)
    record.update(
        figure=figure,
        radius=radius,
        offset_origin=[maps.shape[1] // 2, maps.shape[2] // 2],
        summaries=[summarize_relative_map(m) for m in maps],
        relative_maps=maps.tolist())
    _write_json(record, osp.join(out_dir, 'relative_attention_maps.json'))
    return record
