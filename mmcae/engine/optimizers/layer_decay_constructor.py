"""Layer-wise learning-rate decay for fine-tuning a pretrained ViT in any
OpenMMLab framework (classification, segmentation, detection).

Layer-wise lr decay (BEiT, Bao et al. 2022, Sec. 2.5 / App. C; used by MAE
and CAE fine-tuning) gives the parameters of layer ``id`` of an encoder with
``L`` blocks the learning rate ``base_lr * rate ** (L + 1 - id)``: the patch
embedding and tokens (id 0) move least, the last block less than the head,
and everything above the encoder (final norm, heads, necks: id ``L + 1``)
trains at ``base_lr``.

Why our own constructor: mmseg 1.2.2's ``LayerDecayOptimizerConstructor``
refuses any backbone whose class name lacks 'BEiT', 'MAE' or 'ConvNeXt', and
compares the prefixed names (``backbone.cls_token``) against bare ones
(``cls_token``), so it never exempts the [CLS] token and position embedding
from weight decay although it means to; mmdet 3.3.0's supports ConvNeXt
only; mmpretrain 1.2.0's needs ``get_layer_depth`` on the *top* model (mmseg
and mmdet models have none) and decays tokens and position embeddings unless
``custom_keys`` say otherwise. This one asks the backbone (any submodule
with ``get_layer_depth``, e.g. :class:`mmcae.models.ViT`) for the layer ids,
applies the MAE/BEiT no-decay set itself, and logs the resulting groups
(with ``auto_scale_lr`` enabled, :class:`mmcae.engine.Runner` logs them
after scaling, with the lrs actually used).
"""
import logging
from contextlib import contextmanager
from typing import Callable, Dict, List, Optional, Tuple

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

from mmcae.registry import OPTIM_WRAPPER_CONSTRUCTORS

#: parameters whose name has a dotted component ENDING with one of these
#: get no weight decay whatever their shape (MAE / BEiT / CAE practice):
#: ``pos_embed`` also covers ``rd_pos_embed``, ``decoder_pos_embed``.
NO_DECAY_SUFFIXES: Tuple[str, ...] = ('pos_embed', 'cls_token', 'mask_token',
                                      'dist_token')
#: ... or a dotted component STARTING with one of these (relative position
#: tables: ``relative_position_bias.table``,
#: ``relative_position_bias_table``).
NO_DECAY_PREFIXES: Tuple[str, ...] = ('relative_position_bias', )

_SUPPORTED_KEYS = ('layer_decay_rate', 'backbone_prefix')

#: set by :func:`deferred_table_log`
_DEFER_TABLE_LOG = False


def is_no_decay(name: str, ndim: int) -> bool:
    """Whether a parameter is exempt from weight decay.

    Args:
        name (str): the parameter's (dotted) name.
        ndim (int): its number of dimensions.

    Returns:
        bool: True for 0-D and 1-D tensors (norm weights, biases, q/v
        biases, layer-scale ``gamma``, scalar scales) and for tokens,
        position embeddings and relative position tables.
    """
    if ndim <= 1:
        return True
    for part in name.split('.'):
        if part.endswith(NO_DECAY_SUFFIXES) or \
                part.startswith(NO_DECAY_PREFIXES):
            return True
    return False


def _unwrap(model: nn.Module) -> nn.Module:
    """Strip DDP-like wrappers (anything holding the model in ``.module``,
    e.g. ``MMDistributedDataParallel``), however deeply nested."""
    while isinstance(getattr(model, 'module', None), nn.Module):
        model = model.module
    return model


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Optimizer wrapper with layer-wise lr decay and the MAE/BEiT no-decay
    set, for any model whose backbone has ``get_layer_depth``.

    Config (any framework's default scope)::

        optim_wrapper = dict(
            constructor='mmcae.LayerDecayOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
            paramwise_cfg=dict(layer_decay_rate=0.65))

    For every trainable parameter: ``(layer_id, num_ids) =
    backbone.get_layer_depth(name, prefix)`` (parameters outside the
    backbone get the top id ``num_ids - 1``), ``lr_scale = rate **
    (num_ids - 1 - layer_id)``; weight decay is 0 for the set of
    :func:`is_no_decay`, the optimizer's ``weight_decay`` otherwise. The
    parameters are grouped by (layer id, decay or not); each group holds
    ``lr = base_lr * lr_scale`` (mmengine's schedulers scale every group
    from its own ``initial_lr``, so the scale must be in the group's lr),
    ``weight_decay``, ``lr_scale`` and ``layer_id``.

    Args:
        optim_wrapper_cfg (dict): the optimizer wrapper config; its
            ``optimizer`` must set ``lr``.
        paramwise_cfg (dict): ``layer_decay_rate`` (float in (0, 1],
            required) and optionally ``backbone_prefix`` (str): the dotted
            name of the submodule that has ``get_layer_depth`` (with or
            without the trailing dot; '' for the model itself). Without
            it the backbone is found: ``model.backbone`` if it has
            ``get_layer_depth``, else the model itself, else the first
            submodule (in ``named_modules`` order) that has it. No other
            keys are accepted (mmengine's ``custom_keys`` and ``*_mult``
            options would be silently overridden here).
    """

    def _validate_cfg(self) -> None:
        """Check ``paramwise_cfg`` and the base lr (called by mmengine's
        ``__init__``)."""
        super()._validate_cfg()
        unknown = sorted(set(self.paramwise_cfg) - set(_SUPPORTED_KEYS))
        if unknown:
            raise ValueError(
                f'LayerDecayOptimWrapperConstructor: unsupported '
                f'paramwise_cfg keys {unknown}; it takes only '
                f'{list(_SUPPORTED_KEYS)}')
        if 'layer_decay_rate' not in self.paramwise_cfg:
            raise ValueError(
                'LayerDecayOptimWrapperConstructor needs '
                'paramwise_cfg=dict(layer_decay_rate=...), e.g. 0.65 for '
                'ViT-B fine-tuning')
        rate = self.paramwise_cfg['layer_decay_rate']
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) \
                or not 0 < rate <= 1:
            raise ValueError(
                'paramwise_cfg.layer_decay_rate must be a number in (0, 1], '
                f'got {rate!r}')
        prefix = self.paramwise_cfg.get('backbone_prefix')
        if prefix is not None and not isinstance(prefix, str):
            raise ValueError('paramwise_cfg.backbone_prefix must be a str, '
                             f'got {prefix!r}')
        if self.base_lr is None:
            raise ValueError('LayerDecayOptimWrapperConstructor needs the '
                             'optimizer config to set lr')

    def __call__(self, model: nn.Module) -> OptimWrapper:
        """Build the optimizer wrapper.

        Args:
            model (nn.Module): the model, optionally inside DDP-like
                wrappers (``.module``).

        Returns:
            OptimWrapper: the wrapper built from ``optim_wrapper_cfg``,
            its optimizer holding the layer-decay param groups.
        """
        # mmengine's __call__ unwraps one level and then calls
        # ``add_params(params, model)`` once for the whole model.
        optim_wrapper = super().__call__(_unwrap(model))
        optim_wrapper.layer_decay_table = dict(
            header=self._table_header, base_lr=self.base_lr, pending=True)
        if not _DEFER_TABLE_LOG:
            log_layer_decay_table(optim_wrapper)
        return optim_wrapper

    def find_backbone(self, model: nn.Module) -> Tuple[nn.Module, str]:
        """The submodule that assigns layer ids, and its name prefix.

        Args:
            model (nn.Module): the unwrapped model.

        Returns:
            tuple[nn.Module, str]: the module with ``get_layer_depth`` and
            its prefix in the model's parameter names ('backbone.'; '' for
            the model itself).
        """
        prefix = self.paramwise_cfg.get('backbone_prefix')
        if prefix is not None:
            name = prefix.rstrip('.')
            try:
                module = model.get_submodule(name) if name else model
            except AttributeError as error:
                raise ValueError(
                    f'paramwise_cfg.backbone_prefix={prefix!r}: '
                    f'{type(model).__name__} has no submodule {name!r} '
                    f'({error})') from error
            if not callable(getattr(module, 'get_layer_depth', None)):
                raise ValueError(
                    f'paramwise_cfg.backbone_prefix={prefix!r} names a '
                    f'{type(module).__name__}, which has no get_layer_depth')
            return module, name + '.' if name else ''

        backbone = getattr(model, 'backbone', None)
        if isinstance(backbone, nn.Module) and \
                callable(getattr(backbone, 'get_layer_depth', None)):
            return backbone, 'backbone.'
        if callable(getattr(model, 'get_layer_depth', None)):
            return model, ''
        for name, module in model.named_modules():
            if name and callable(getattr(module, 'get_layer_depth', None)):
                return module, name + '.'
        raise ValueError(
            f'LayerDecayOptimWrapperConstructor: no submodule of '
            f'{type(model).__name__} has get_layer_depth(param_name, '
            "prefix), so layer ids are unknown. Use a backbone that has it "
            "(e.g. type='mmcae.ViT'), or mmengine's default constructor.")

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   **kwargs) -> None:
        """Append the layer-decay param groups of the whole model.

        mmengine's ``__call__`` calls this once with the whole model (not
        recursively as the default constructor does).

        Args:
            params (list[dict]): param groups, extended in place.
            module (nn.Module): the (unwrapped) model.
            prefix (str): prefix of the model's parameter names. Defaults
                to ''.
            **kwargs: ignored (mmengine's ``is_dcn_module``).
        """
        backbone, backbone_prefix = self.find_backbone(module)
        backbone_prefix = (f'{prefix}.{backbone_prefix}'
                           if prefix else backbone_prefix)
        get_depth = self._depth_function(backbone, backbone_prefix)
        rate = float(self.paramwise_cfg['layer_decay_rate'])

        groups: Dict[Tuple[int, bool], dict] = {}
        num_ids_seen = set()
        frozen = 0
        for name, param in module.named_parameters(prefix=prefix):
            if not param.requires_grad:
                frozen += 1
                continue
            layer_id, num_ids = get_depth(name)
            if not name.startswith(backbone_prefix):
                layer_id = num_ids - 1
            if not 0 <= layer_id < num_ids:
                raise ValueError(
                    f'{type(backbone).__name__}.get_layer_depth gave id '
                    f'{layer_id} of {num_ids} for {name!r}')
            num_ids_seen.add(num_ids)
            no_decay = is_no_decay(name, param.ndim)
            key = (layer_id, no_decay)
            if key not in groups:
                lr_scale = rate**(num_ids - 1 - layer_id)
                group = dict(
                    params=[],
                    lr=self.base_lr * lr_scale,
                    lr_scale=lr_scale,
                    layer_id=layer_id)
                if no_decay:
                    group['weight_decay'] = 0.
                elif self.base_wd is not None:
                    group['weight_decay'] = self.base_wd
                groups[key] = group
            groups[key]['params'].append(param)
        if len(num_ids_seen) > 1:
            raise ValueError(
                f'{type(backbone).__name__}.get_layer_depth returned '
                f'different numbers of ids {sorted(num_ids_seen)}')
        ordered = [groups[key] for key in sorted(groups)]
        params.extend(ordered)
        self._table_header = self._header(backbone, backbone_prefix, frozen)

    @staticmethod
    def _depth_function(backbone: nn.Module,
                        prefix: str) -> Callable[[str], Tuple[int, int]]:
        """``name -> (layer_id, num_ids)``. A model that is its own
        backbone (prefix '') is called without a prefix: mmpretrain's
        ``ImageClassifier.get_layer_depth`` takes the name only."""
        if prefix:
            return lambda name: backbone.get_layer_depth(name, prefix)
        return backbone.get_layer_depth

    def _header(self, backbone: nn.Module, prefix: str, frozen: int) -> str:
        """The table's first line, ``{base_lr}`` left to fill;
        :meth:`__call__` logs the table from the built optimizer's groups
        (:func:`log_layer_decay_table`)."""
        rate = self.paramwise_cfg['layer_decay_rate']
        return (
            f'Layer-wise lr decay: rate {rate}, base lr {{base_lr}}, '
            f'layer ids from {type(backbone).__name__} '
            f"(prefix '{prefix}'), {frozen} frozen params skipped")


def _table(param_groups: List[dict], header: str) -> str:
    """The lr table: ``header``, then a row per layer-decay param group
    (groups without ``layer_id`` are skipped)."""
    lines = [
        header, f'{"layer":>5} {"lr_scale":>10} {"lr":>10} {"wd":>8} '
        f'{"tensors":>7} {"elements":>10}'
    ]
    for group in param_groups:
        if 'layer_id' not in group:
            continue
        weight_decay = group.get('weight_decay', 'default')
        if not isinstance(weight_decay, str):
            weight_decay = f'{weight_decay:.3g}'
        lines.append(
            f'{group["layer_id"]:>5} {group["lr_scale"]:>10.4g} '
            f'{group["lr"]:>10.4g} {weight_decay:>8} '
            f'{len(group["params"]):>7} '
            f'{sum(p.numel() for p in group["params"]):>10}')
    return '\n'.join(lines)


def log_layer_decay_table(optim_wrapper: OptimWrapper,
                          scaled_by: Optional[float] = None) -> bool:
    """Log the layer-decay table of a wrapper built by
    :class:`LayerDecayOptimWrapperConstructor`, with the lrs its optimizer
    holds now.

    Args:
        optim_wrapper (OptimWrapper): the built wrapper.
        scaled_by (float, optional): the factor ``--auto-scale-lr``
            (mmengine's ``Runner.scale_lr``) multiplied every lr by, named
            in the header.

    Returns:
        bool: whether the wrapper has a layer-decay table (and it was
        logged).
    """
    info = getattr(optim_wrapper, 'layer_decay_table', None)
    if info is None:
        return False
    header, base_lr = info['header'], info['base_lr']
    if scaled_by is None:
        header = header.replace('{base_lr}', str(base_lr))
    else:
        header = header.replace(
            '{base_lr}', f'{base_lr * scaled_by:.4g} (the config\'s '
            f'{base_lr} scaled by {scaled_by:.4g}: auto_scale_lr)')
    print_log(_table(optim_wrapper.optimizer.param_groups, header),
              logger='current', level=logging.INFO)
    info['pending'] = False
    return True


@contextmanager
def deferred_table_log(defer: bool = True):
    """Inside this context the constructor does not log its table; the
    wrapper keeps it (``layer_decay_table['pending']``) for
    :func:`log_layer_decay_table`. :class:`mmcae.engine.Runner` defers it
    while ``auto_scale_lr`` is enabled, so that the logged table shows the
    lrs after ``Runner.scale_lr``, the lrs actually used."""
    global _DEFER_TABLE_LOG
    previous, _DEFER_TABLE_LOG = _DEFER_TABLE_LOG, defer
    try:
        yield
    finally:
        _DEFER_TABLE_LOG = previous
