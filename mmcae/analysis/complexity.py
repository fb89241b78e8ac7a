"""Parameters and FLOPs of a config's model, for
``tools/analysis_tools/get_flops.py`` and the metafiles.

mmengine's counter (:class:`mmengine.analysis.FlopAnalyzer`, what
``get_model_complexity_info`` and the frameworks' own get_flops tools use)
does the counting; this module only builds the model of any framework's
config (:func:`mmcae.analysis.build_model`: its ``default_scope`` picks
mmpretrain, mmseg or mmdet) and picks the input: one image of the task's
size (classification and pretraining 224 x 224, segmentation the config's
crop, detection 1024 x 1024).

Two counts:

- the WHOLE model as mmseg's / mmdet's get_flops tools count it: the
  tensor forward (``model._forward``: backbone, neck and heads; for
  detection the RPN's proposals and the RoI heads on them, so the number
  depends on how many proposals survive NMS on the input, here a blank
  image) with data samples made from the input's shape instead of a
  dataset item (the tool needs no data on disk);
- the ENCODER (``model.backbone``, an ``mmcae.ViT``) alone, the number
  papers compare backbones by.

Parameters are those of the whole model (what a checkpoint holds) and of
the encoder.

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


class _TensorForward(torch.nn.Module):
    """The model's tensor forward on an image batch as a module (what the
    tracer of :class:`~mmengine.analysis.FlopAnalyzer` needs)."""

    def __init__(self, model: torch.nn.Module, scope: str,
                 shape: Tuple[int, int]):
        super().__init__()
        self.model = model
        self.scope = scope
        self.samples = None
        meta = dict(img_shape=shape, ori_shape=shape, pad_shape=shape,
                    batch_input_shape=shape, scale_factor=(1.0, 1.0))
        if scope == 'mmdet':
            from mmdet.structures import DetDataSample
            self.samples = [DetDataSample(metainfo=meta)]
        elif scope == 'mmseg':
            from mmseg.structures import SegDataSample
            self.samples = [SegDataSample(metainfo=meta)]

    def forward(self, inputs: torch.Tensor):
        if self.samples is not None:
            return self.model._forward(inputs, self.samples)
        return self.model(inputs, mode='tensor')


def _count(module: torch.nn.Module, inputs: torch.Tensor) -> int:
    import warnings

    from mmengine.analysis import FlopAnalyzer
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the tracer's TracerWarnings
        analyzer = FlopAnalyzer(module, (inputs, ))
        analyzer.set_op_handle('aten::scaled_dot_product_attention',
                               _sdpa_flop)
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        return int(analyzer.total())


def model_complexity(cfg: Config,
                     shape: Optional[Tuple[int, int]] = None,
                     whole_model: bool = True) -> Dict:
    """Parameters and FLOPs of the model and of its encoder.

    Args:
        cfg (Config): a loaded config.
        shape (tuple[int, int], optional): the input (H, W). Defaults to
            :func:`input_shape`.
        whole_model (bool): also count the whole model's FLOPs (a trace
            of backbone, neck and heads; seconds for detection models).

    Returns:
        dict: ``params`` (int, whole model), ``encoder_params`` (int),
        ``flops`` (int, encoder, one image), ``model_flops`` (int, whole
        model, one image; None when not counted or when the model has no
        tensor forward to trace, see ``model_flops_error``) and
        ``input_shape``.

    Raises:
        UserError: the model has no ``backbone``.
    """
    model = build_model(cfg, random_init=False)
    backbone = getattr(model, 'backbone', None)
    if backbone is None:
        raise UserError(f'{cfg.filename}: the model has no backbone to '
                        'count FLOPs of')
    shape = tuple(shape or input_shape(cfg))
    model.eval()
    inputs = torch.zeros(1, 3, *shape)
    model_flops, model_flops_error = None, None
    if whole_model:
        scope = cfg.get('default_scope', 'mmpretrain')
        try:
            model_flops = _count(_TensorForward(model, scope, shape), inputs)
        except Exception as err:  # a model without a traceable forward
            model_flops_error = f'{type(err).__name__}: {err}'
    return dict(
        params=sum(p.numel() for p in model.parameters()),
        encoder_params=sum(p.numel() for p in backbone.parameters()),
        flops=_count(backbone, inputs),
        model_flops=model_flops,
        model_flops_error=model_flops_error,
        input_shape=list(shape))
