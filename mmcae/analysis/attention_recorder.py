"""Record the attention weights of every self-attention layer of a model.

Two kinds of module are supported:

* :class:`mmcae.models.layers.Attention` (``mmcae.ViT`` and everything
  built on it): its forward runs a fused kernel that never materializes
  the weights, so a forward pre-hook takes the layer's input (and its
  ``attn_bias``, positional or keyword) and recomputes them with
  :meth:`~mmcae.models.layers.Attention.attention_weights` (the same
  projection, scale and bias).
* mmpretrain's ``MultiheadAttention`` (``VisionTransformer``, ``MAEViT``,
  the ``MAEPretrainDecoder``): its forward projects q, k and v and calls
  the instance attribute ``scaled_dot_product_attention`` (PyTorch's
  fused function, or mmpretrain's Python version bound to a scale with
  ``functools.partial`` when ``qk_scale`` is set). Inside the context
  that attribute is replaced, per instance, by a wrapper that computes
  ``softmax(q k^T * scale + mask)`` from the very q and k of the call,
  then calls the original, so the layer's output is unchanged. The scale
  is the one the layer really applies: mmpretrain's Python version
  divides by its ``scale`` argument (in mmpretrain 1.2.0 a layer with
  ``qk_scale`` set thus multiplies by sqrt(head_dim)), PyTorch's
  multiplies. The original attribute is put back on exit, also after an
  exception.

Weights are recorded in the order the layers run (forward order), detached
and without attention dropout (analyse models in eval mode).
"""
import functools
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Optional, Tuple

import torch
from torch import nn

from mmcae.models.layers import Attention

Reducer = Callable[[torch.Tensor], Any]


class AttentionRecorder:
    """What :func:`record_attention` yields: the recorded weights, one
    entry per attention call in forward order.

    Attributes:
        maps (list): per call, the (B, heads, N, N) weights, or what
            ``reduce`` returned for them.
        names (list[str]): per call, the module's name in the model.
    """

    def __init__(self, reduce: Optional[Reducer] = None):
        self.reduce = reduce
        self.maps: List[Any] = []
        self.names: List[str] = []

    def add(self, name: str, weights: torch.Tensor) -> None:
        """Store one layer's weights (through ``reduce`` if given)."""
        weights = weights.detach()
        self.maps.append(
            weights if self.reduce is None else self.reduce(weights))
        self.names.append(name)

    def clear(self) -> None:
        """Forget what was recorded (e.g. between two batches)."""
        self.maps.clear()
        self.names.clear()

    def __len__(self) -> int:
        return len(self.maps)

    def __getitem__(self, index: int) -> Any:
        return self.maps[index]


def _mmpretrain_attention_type() -> Optional[type]:
    try:
        from mmpretrain.models.utils.attention import MultiheadAttention
    except ImportError:  # mmpretrain not installed: only mmcae layers
        return None
    return MultiheadAttention


def sdpa_weights(query: torch.Tensor,
                 key: torch.Tensor,
                 attn_mask: Optional[torch.Tensor] = None,
                 is_causal: bool = False,
                 scale: Optional[float] = None) -> torch.Tensor:
    """The softmax weights of ``F.scaled_dot_product_attention``.

    Args:
        query (Tensor): (..., L, E).
        key (Tensor): (..., S, E).
        attn_mask (Tensor, optional): additive float bias, or a boolean
            mask (True = attend), broadcastable to (..., L, S).
        is_causal (bool): a lower-triangular mask.
        scale (float, optional): defaults to ``E ** -0.5``.

    Returns:
        Tensor: (..., L, S) weights, rows summing to 1.
    """
    if scale is None:
        scale = query.shape[-1]**-0.5
    logits = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        length, source = logits.shape[-2:]
        causal = torch.ones(
            length, source, dtype=torch.bool, device=logits.device).tril()
        logits = logits.masked_fill(~causal, float('-inf'))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            logits = logits.masked_fill(~attn_mask, float('-inf'))
        else:
            logits = logits + attn_mask.to(logits.dtype)
    return logits.softmax(dim=-1)


_SDPA_ARGS = ('attn_mask', 'dropout_p', 'is_causal', 'scale')


def _divides_by_scale(function: Callable) -> bool:
    """Whether ``function`` is mmpretrain's Python SDPA, which divides the
    logits by its ``scale`` argument (default sqrt(E)) where PyTorch's
    multiplies by it (default 1 / sqrt(E))."""
    try:
        from mmpretrain.models.utils.attention import \
            scaled_dot_product_attention_pyimpl
    except ImportError:
        return False
    return function is scaled_dot_product_attention_pyimpl


def _wrap_sdpa(original: Callable, name: str,
               recorder: AttentionRecorder) -> Callable:
    """``original`` (an SDPA function, maybe a partial), recording its
    weights into ``recorder`` before each call."""
    is_partial = isinstance(original, functools.partial)
    bound = dict(original.keywords) if is_partial else {}
    divides = _divides_by_scale(original.func if is_partial else original)

    def recording_sdpa(query, key, value, *args, **kwargs):
        options = dict(bound)
        options.update(zip(_SDPA_ARGS, args))
        options.update(kwargs)
        scale = options.get('scale')
        if divides:
            scale = 1. / (scale or query.shape[-1]**0.5)
        with torch.no_grad():
            weights = sdpa_weights(
                query,
                key,
                attn_mask=options.get('attn_mask'),
                is_causal=bool(options.get('is_causal', False)),
                scale=scale)
        recorder.add(name, weights)
        return original(query, key, value, *args, **kwargs)

    return recording_sdpa


def supported_attention_types() -> Tuple[type, ...]:
    """The attention classes :func:`record_attention` can record."""
    types = [Attention]
    mmpretrain_type = _mmpretrain_attention_type()
    if mmpretrain_type is not None:
        types.append(mmpretrain_type)
    return tuple(types)


@contextmanager
def record_attention(model: nn.Module,
                     reduce: Optional[Reducer] = None
                     ) -> Iterator[AttentionRecorder]:
    """Record the attention weights of every supported attention layer in
    ``model`` while the context is open.

    Example::

        with record_attention(model.backbone) as recorder:
            model.backbone(images)
        weights = recorder.maps  # per layer (B, heads, N, N)

    Args:
        model (nn.Module): the model, or the part of it to record (e.g.
            ``mae.neck`` for the decoder alone).
        reduce (callable, optional): applied to each layer's (detached)
            weights as they come; what it returns is stored instead, so
            that big models need not keep every N x N map.

    Yields:
        AttentionRecorder: one entry per attention call; several forward
        passes append (call :meth:`AttentionRecorder.clear` in between).

    Raises:
        TypeError: ``model`` is not an ``nn.Module``.
        ValueError: the model has no supported attention module.
    """
    if not isinstance(model, nn.Module):
        raise TypeError('record_attention needs an nn.Module, got '
                        f'{type(model).__name__}')
    mmpretrain_type = _mmpretrain_attention_type()
    recorder = AttentionRecorder(reduce)
    handles = []
    wrapped: List[Tuple[nn.Module, bool, Any]] = []
    try:
        for name, module in model.named_modules():
            if isinstance(module, Attention):
                handles.append(
                    module.register_forward_pre_hook(
                        _mmcae_hook(name, recorder), with_kwargs=True))
            elif mmpretrain_type is not None and isinstance(
                    module, mmpretrain_type):
                original = getattr(module, 'scaled_dot_product_attention',
                                   None)
                if original is None:
                    raise ValueError(
                        f'{name or type(module).__name__}: this '
                        "mmpretrain MultiheadAttention has no "
                        "'scaled_dot_product_attention' to wrap (another "
                        'mmpretrain version?)')
                own = 'scaled_dot_product_attention' in module.__dict__
                wrapped.append((module, own, original))
                module.scaled_dot_product_attention = _wrap_sdpa(
                    original, name, recorder)
        if not handles and not wrapped:
            names = ', '.join(t.__module__ + '.' + t.__name__
                              for t in supported_attention_types())
            raise ValueError(
                f'{type(model).__name__} has no supported attention module '
                f'(supported: {names})')
        yield recorder
    finally:
        for handle in handles:
            handle.remove()
        for module, own, original in wrapped:
            if own:
                module.scaled_dot_product_attention = original
            else:
                del module.scaled_dot_product_attention


def _mmcae_hook(name: str, recorder: AttentionRecorder) -> Callable:

    def hook(module: nn.Module, args: tuple, kwargs: dict) -> None:
        x = args[0] if args else kwargs['x']
        attn_bias = args[1] if len(args) > 1 else kwargs.get('attn_bias')
        with torch.no_grad():
            recorder.add(name, module.attention_weights(x, attn_bias))

    return hook
