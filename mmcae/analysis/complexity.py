"""Parameters and FLOPs of a config's model, for
``tools/analysis_tools/get_flops.py`` and the metafiles.

mmengine's counter (:func:`mmengine.analysis.get_model_complexity_info`)
does the counting; this module only builds the model of any framework's
config (:func:`mmcae.analysis.build_model`: its ``default_scope`` picks
mmpretrain, mmseg or mmdet) and picks the input: FLOPs are those of the
ENCODER (``model.backbone``, an ``mmcae.ViT``) on one image of the task's
size (classification and pretraining 224 x 224, segmentation the config's
crop, detection 1024 x 1024), because the heads' cost depends on the
number of proposals and on the framework's test-time code, which no tracer
counts alike.
Parameters are those of the whole model (what a checkpoint holds).

FLOPs follow mmengine's (fvcore's) convention: one multiply-add counts as
one FLOP. mmengine has no handler for ``scaled_dot_product_attention``,
through which ``mmcae.ViT`` attends, and would skip the attention
products; :func:`_sdpa_flop` counts them (q k^T and attn v).
"""
from typing import Dict, Optional, Tuple

import torch
from mmengine.config import Config

from mmcae.utils.errors import UserError
from .models import build_model

#: the encoder's input per framework scope when the config does not say
DEFAULT_SHAPES = {'mmpretrain': (224, 224), 'mmseg': (512, 512),
                  'mmdet': (1024, 1024)}


def input_shape(cfg: Config) -> Tuple[int, int]:
    """The encoder's input size of a config (see the module docstring)."""
    scope = cfg.get('default_scope', 'mmpretrain')
    if scope == 'mmseg' and cfg.get('crop_size'):
        return tuple(cfg.crop_size)
    return DEFAULT_SHAPES.get(scope, (224, 224))


def _sdpa_flop(inputs, outputs) -> int:
    """Multiply-adds of ``scaled_dot_product_attention(q, k, v)``."""
    from mmengine.analysis.jit_handles import get_shape
    query, key, value = (get_shape(i) for i in inputs[:3])
    *batch, queries, channels = query
    keys, value_channels = key[-2], value[-1]
    count = 1
    for size in batch:
        count *= size
    return count * queries * keys * (channels + value_channels)


def model_complexity(cfg: Config,
                     shape: Optional[Tuple[int, int]] = None) -> Dict:
    """Parameters of the model and FLOPs of its encoder.

    Args:
        cfg (Config): a loaded config.
        shape (tuple[int, int], optional): the encoder's input (H, W).
            Defaults to :func:`input_shape`.

    Returns:
        dict: ``params`` (int, whole model), ``encoder_params`` (int),
        ``flops`` (int, encoder, one image) and ``input_shape``.

    Raises:
        UserError: the model has no ``backbone``.
    """
    from mmengine.analysis import FlopAnalyzer
    model = build_model(cfg, random_init=False)
    backbone = getattr(model, 'backbone', None)
    if backbone is None:
        raise UserError(f'{cfg.filename}: the model has no backbone to '
                        'count FLOPs of')
    shape = tuple(shape or input_shape(cfg))
    backbone.eval()
    with torch.no_grad():
        analyzer = FlopAnalyzer(backbone, (torch.zeros(1, 3, *shape), ))
        analyzer.set_op_handle('aten::scaled_dot_product_attention',
                               _sdpa_flop)
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        flops = analyzer.total()
    return dict(
        params=sum(p.numel() for p in model.parameters()),
        encoder_params=sum(p.numel() for p in backbone.parameters()),
        flops=int(flops),
        input_shape=list(shape))
