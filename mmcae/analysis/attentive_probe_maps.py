"""The attentive probe's cross-attention maps (CAE arXiv Fig. 7, IJCV
Fig. 10): "the average of cross-attention maps over 12 heads between the
extra class token and the patches".

A trained probe is an mmpretrain ``ImageClassifier`` whose head is an
:class:`mmcae.models.AttentiveProbeHead`: its learned query attends over
the frozen encoder's tokens. The head's :meth:`~mmcae.models.
AttentiveProbeHead.attention_map` gives the query's softmax weights over
the tokens, averaged over heads (the forward output is unchanged). The
map is its part on the patches, renormalized to sum to 1; the query's
weight on the encoder's [CLS] token (a key when the head's
``use_cls_token`` is True, as in the official code) is kept apart as
``prefix_mass``. The 50 %-mass region, the centre distance and the JSON
statistics are those of :mod:`mmcae.analysis.cls_attention`.

:func:`run_attentive_probe_maps` is the analysis of
``tools/analysis_tools/attentive_probe_maps.py``.
"""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from mmcae.utils.errors import UserError
from .attention_distance import patch_size_of
from .cls_attention import (MASS, _grid_of, config_normalize, load_views,
                            patch_map, run_attention_maps)


@torch.no_grad()
def probe_attention_maps(
        model: nn.Module,
        images: torch.Tensor,
        batch_size: int = 16) -> Tuple[torch.Tensor, torch.Tensor]:
    """The head-averaged cross-attention of an attentive probe's query
    over the patches.

    Args:
        model (nn.Module): an ``ImageClassifier`` (``extract_feat`` and a
            ``head`` with ``attention_map``), in eval mode.
        images (Tensor): normalized images (N, 3, H, W).
        batch_size (int): images per forward.

    Returns:
        tuple: maps (N, rows, cols) float64 summing to 1 over the patches,
        and the query's mass on the encoder's prefix tokens (N, ).

    Raises:
        ValueError: a head without ``attention_map`` or sizes that do not
            fit.
    """
    head = getattr(model, 'head', None)
    if not hasattr(head, 'attention_map'):
        raise ValueError(
            f'the head ({type(head).__name__}) has no attention_map: an '
            'attentive probe (mmcae.AttentiveProbeHead) is needed')
    grid = _grid_of(images, patch_size_of(model.backbone))
    device = next(model.parameters()).device
    maps, prefix = [], []
    for start in range(0, images.shape[0], batch_size):
        feats = model.extract_feat(images[start:start + batch_size].to(device))
        batch_maps, batch_prefix = patch_map(
            head.attention_map(feats).cpu(), grid)
        maps.append(batch_maps)
        prefix.append(batch_prefix)
    return torch.cat(maps), torch.cat(prefix)


def _backbone_img_size(cfg) -> int:
    size = cfg.model.get('backbone', {}).get('img_size', 224)
    return int(size if isinstance(size, int) else size[0])


def run_attentive_probe_maps(models: Sequence[Tuple[str, Optional[str], str]],
                             img_dir: Union[str, Sequence[str]],
                             num_images: Optional[int] = 8,
                             img_size: Optional[int] = None,
                             num_crops: int = 0,
                             batch_size: int = 16,
                             mass: float = MASS,
                             num_show: int = 8,
                             seed: int = 0,
                             out_dir: str = 'work_dirs/attentive_probe_maps',
                             device: str = 'cpu',
                             trust: Optional[bool] = None,
                             cfg_options: Optional[dict] = None) -> Dict:
    """Cross-attention maps of trained attentive probes (CAE Fig. 7).

    Args:
        models: (attentive-probe config, checkpoint of the whole trained
            classifier or None for the random init, label) per probe.
            The checkpoint is read by :func:`mmcae.checkpoint.
            load_weights_into` (safe loading); every ``backbone.`` and
            ``head.`` key must fit.
        img_dir: image folder(s) or files (:func:`find_images`).
        img_size (int, optional): the views' size; default the first
            config's ``backbone.img_size`` (224 if unset).
        num_crops (int): random crops per image (0: whole images only).
        seed (int): seed of the crops and of random inits.
        out_dir (str): ``attentive_probe_maps.png`` (and ``_crops.png``)
            and ``attentive_probe_maps.json``.

    Returns:
        dict: the JSON's content.

    Raises:
        UserError: a missing file, a model that cannot be built, a head
            without attention map or a checkpoint that does not fit.
    """
    from mmcae.utils.config import load_config
    from .images import find_images
    from .models import build_model, load_checkpoint
    for _, checkpoint, _ in models:  # fail before any model work
        if checkpoint is not None and not osp.isfile(checkpoint):
            raise UserError(f'checkpoint not found: {checkpoint}')
    configs = [load_config(config, cfg_options) for config, _, _ in models]
    if img_size is None:
        img_size = _backbone_img_size(configs[0])
    paths = find_images(img_dir, num_images)
    views = load_views(paths, img_size, num_crops, seed)
    entries = []
    for cfg, (config, checkpoint, label) in zip(configs, models):
        model = build_model(cfg, seed, random_init=checkpoint is None)
        if not hasattr(getattr(model, 'head', None), 'attention_map'):
            raise UserError(
                f'{label}: {config} is not an attentive probe (its head '
                'has no attention_map; use mmcae.AttentiveProbeHead)')
        if checkpoint is not None:
            load_checkpoint(
                model,
                checkpoint, ('backbone.', 'head.'),
                trust,
                target='the attentive-probe classifier',
                advice='give the checkpoint of the trained probe (the '
                'whole ImageClassifier) with its config')
        model.to(torch.device(device)).eval()

        def maps(crops, model=model, cfg=cfg):
            return probe_attention_maps(model, config_normalize(crops, cfg),
                                        batch_size)

        entries.append(
            dict(
                label=label,
                kind='attentive-probe',
                source=config,
                checkpoint=checkpoint,
                patch_size=patch_size_of(model.backbone),
                use_cls_token=bool(
                    getattr(model.head, 'use_cls_token', False)),
                maps=maps))
    return run_attention_maps(
        entries,
        paths,
        views,
        out_dir,
        'attentive_probe_maps',
        mass=mass,
        num_show=num_show,
        record=dict(
            seed=seed,
            map="the probe query's cross-attention, head-averaged, "
            'renormalized over the patch keys'))
