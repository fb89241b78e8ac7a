"""The optimizer of a probe on a frozen encoder: only the probe's
parameters, and a check that the encoder really is frozen.

Why our own constructor: mmengine's ``DefaultOptimWrapperConstructor``
hands the optimizer every parameter of the model, the frozen encoder's
included (they merely get no gradient), and raises nothing if a config
forgot to freeze the encoder: a "linear probe" would then silently
fine-tune it. mmpretrain's MAE linear-probe configs rely on exactly that.
This constructor gives the optimizer the trainable parameters only,
refuses to build if any parameter under ``frozen_prefix`` is trainable,
and, for LARS, excludes the 1-D parameters (biases, norm weights) from
the layer-wise adaptation as MAE's LARS does (mmpretrain's ``LARS`` reads
the per-group ``lars_exclude`` flag).
"""
import logging
from typing import List, Optional

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

from mmcae.registry import OPTIM_WRAPPER_CONSTRUCTORS
from .layer_decay_constructor import _unwrap

_SUPPORTED_KEYS = ('frozen_prefix', )


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class ProbeOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Optimizer wrapper over the trainable parameters of a probe.

    Config::

        optim_wrapper = dict(
            constructor='mmcae.ProbeOptimWrapperConstructor',
            optimizer=dict(type='LARS', lr=6.4, momentum=0.9,
                           weight_decay=0.),
            paramwise_cfg=dict(frozen_prefix='backbone'))

    Two param groups: the parameters with more than one dimension get the
    optimizer's ``weight_decay``; the 0-D / 1-D ones (biases, norm
    weights) get none and, with ``LARS``, ``lars_exclude=True``.

    Args:
        optim_wrapper_cfg (dict): the optimizer wrapper config.
        paramwise_cfg (dict, optional): ``frozen_prefix`` (str | None): the
            submodule that must be frozen (no parameter with
            ``requires_grad``). Defaults to 'backbone'; None skips the
            check. No other keys.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None):
        paramwise_cfg = dict(paramwise_cfg or {})
        paramwise_cfg.setdefault('frozen_prefix', 'backbone')
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def _validate_cfg(self) -> None:
        unknown = sorted(set(self.paramwise_cfg) - set(_SUPPORTED_KEYS))
        if unknown:
            raise ValueError(
                f'ProbeOptimWrapperConstructor: unsupported paramwise_cfg '
                f'keys {unknown}; it takes only {list(_SUPPORTED_KEYS)}')
        prefix = self.paramwise_cfg['frozen_prefix']
        if prefix is not None and not isinstance(prefix, str):
            raise ValueError('paramwise_cfg.frozen_prefix must be a str or '
                             f'None, got {prefix!r}')

    def __call__(self, model: nn.Module) -> OptimWrapper:
        """Build the optimizer wrapper.

        Args:
            model (nn.Module): the model, optionally inside DDP-like
                wrappers (``.module``).

        Returns:
            OptimWrapper: its optimizer holds the trainable parameters only.

        Raises:
            ValueError: a parameter under ``frozen_prefix`` is trainable, or
                nothing is.
        """
        return super().__call__(_unwrap(model))

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   **kwargs) -> None:
        """Append the two param groups of the trainable parameters.

        Args:
            params (list[dict]): param groups, extended in place.
            module (nn.Module): the (unwrapped) model.
            prefix (str): prefix of the model's parameter names.
            **kwargs: ignored.
        """
        frozen_prefix = self.paramwise_cfg['frozen_prefix']
        if frozen_prefix is not None:
            name = frozen_prefix.rstrip('.')
            try:
                frozen = module.get_submodule(name)
            except AttributeError as error:
                raise ValueError(
                    f'paramwise_cfg.frozen_prefix={frozen_prefix!r}: '
                    f'{type(module).__name__} has no submodule {name!r}'
                ) from error
            trainable = [
                f'{name}.{key}' for key, param in frozen.named_parameters()
                if param.requires_grad
            ]
            if trainable:
                raise ValueError(
                    f'ProbeOptimWrapperConstructor: the {name!r} of a probe '
                    f'must be frozen, but {len(trainable)} of its parameters '
                    f'are trainable (e.g. {trainable[:3]}). Freeze it, e.g. '
                    "model.backbone.frozen_stages=<its depth> for mmcae.ViT")
        base_wd = self.base_wd if self.base_wd is not None else 0.
        is_lars = str(self.optimizer_cfg.get('type')).split('.')[-1] == \
            'LARS'
        matrices, vectors, names = [], [], []
        num_frozen = 0
        for key, param in module.named_parameters(prefix=prefix):
            if not param.requires_grad:
                num_frozen += 1
                continue
            names.append(key)
            (matrices if param.ndim > 1 else vectors).append(param)
        if not names:
            raise ValueError('ProbeOptimWrapperConstructor: the model has no '
                             'trainable parameter')
        if matrices:
            params.append(dict(params=matrices, weight_decay=base_wd))
        if vectors:
            group = dict(params=vectors, weight_decay=0.)
            if is_lars:
                group['lars_exclude'] = True
            params.append(group)
        print_log(
            f'ProbeOptimWrapperConstructor: optimizing {len(names)} '
            f'parameters ({sum(p.numel() for p in matrices + vectors)} '
            f'values), {num_frozen} frozen ones left out: {names}',
            logger='current',
            level=logging.INFO)
