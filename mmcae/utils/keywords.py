"""Which keyword arguments a class or function takes, for config checks.

Python answers this only by calling: ``inspect.signature`` stops at
``**kwargs``. The OpenMMLab classes pass ``**kwargs`` up to their base
classes (a dataset to ``BaseDataset``, an lr scheduler mixin to its
parameter scheduler) or, for mmengine's ``CheckpointHook``, on to
``Runner.save_checkpoint``; :func:`accepted_keywords` follows both.
mmengine has nothing of the kind: its builders call the class and let a
TypeError report the mistake, when the object is built (or, for the
CheckpointHook, at the first save).
"""
import ast
import inspect
import textwrap
from typing import Any, Callable, List, Optional, Set

#: the arguments mmengine's ``CheckpointHook`` passes to
#: ``runner.save_checkpoint`` itself, besides its ``**kwargs``: the same
#: name in the kwargs is a "got multiple values" TypeError at the first save
CHECKPOINT_HOOK_PASSES = frozenset({
    'self', 'out_dir', 'filename', 'file_client_args', 'save_optimizer',
    'save_param_scheduler', 'meta', 'by_epoch', 'backend_args'
})


def init_parameters(function: Callable) -> Optional[List[inspect.Parameter]]:
    """``function``'s parameters, or None when it has no signature."""
    try:
        return list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature
        return None


def _passes_kwargs_to_super(function: Callable, kwargs_name: str) -> bool:
    """Whether ``function``'s source calls ``super().__init__(...,
    **kwargs_name)``: only then do its extra keywords go up the MRO (a
    class may also store or forward them elsewhere)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):  # no source: cannot tell
        return False
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(
                call.func, ast.Attribute) and call.func.attr == '__init__'
                and isinstance(call.func.value, ast.Call)
                and isinstance(call.func.value.func, ast.Name)
                and call.func.value.func.id == 'super'):
            continue
        if any(
                keyword.arg is None and isinstance(keyword.value, ast.Name)
                and keyword.value.id == kwargs_name
                for keyword in call.keywords):
            return True
    return False


def _save_checkpoint_keywords(runner_cls: type) -> Optional[Set[str]]:
    """The names that mmengine's CheckpointHook may forward in its
    ``**kwargs`` to ``runner_cls.save_checkpoint``."""
    parameters = init_parameters(runner_cls.save_checkpoint)
    if parameters is None or any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters} - CHECKPOINT_HOOK_PASSES


def accepted_keywords(obj: Any,
                      runner_cls: Optional[type] = None) -> Optional[Set[str]]:
    """The keyword names that ``obj(**keys)`` accepts, or None when they
    cannot be determined.

    A class's ``__init__`` that takes ``**kwargs`` and passes them to
    ``super().__init__`` adds the parameters of the next ``__init__`` in
    the MRO (e.g. mmseg's ``ADE20KDataset`` -> ``BaseSegDataset``); the
    ``**kwargs`` of mmengine's ``CheckpointHook`` go to
    ``runner_cls.save_checkpoint``. Undetermined: a callable without a
    signature, ``**kwargs`` used in any other way, or ``**kwargs`` that
    reach ``object.__init__`` (a class overriding ``__new__`` may still
    accept them).

    Args:
        obj: a class or function, as a registry returns it.
        runner_cls (type, optional): the runner that saves checkpoints;
            mmengine's ``Runner`` when None.

    Returns:
        set[str] | None: the names, or None.
    """
    from mmengine.hooks import CheckpointHook
    if not inspect.isclass(obj):
        parameters = init_parameters(obj) if callable(obj) else None
        if parameters is None or any(p.kind is p.VAR_KEYWORD
                                     for p in parameters):
            return None
        return {
            p.name
            for p in parameters
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }
    names: Set[str] = set()
    followed = False  # **kwargs were passed up to the next __init__
    for klass in obj.__mro__:
        init = vars(klass).get('__init__')
        if init is None:
            continue
        if klass is object:
            # not followed: no class defines __init__, ``obj()`` takes no
            # keywords (unless __new__ is overridden). Followed: **kwargs
            # reach object.__init__, whose verdict depends on __new__;
            # no class here does that on purpose: undetermined.
            if followed or obj.__new__ is not object.__new__:
                return None
            return names
        parameters = init_parameters(init)
        if parameters is None:
            return None
        if parameters and parameters[0].kind in (
                parameters[0].POSITIONAL_ONLY,
                parameters[0].POSITIONAL_OR_KEYWORD):
            parameters = parameters[1:]  # self
        names.update(
            p.name for p in parameters
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        var_keyword = [p for p in parameters if p.kind is p.VAR_KEYWORD]
        if not var_keyword:
            return names
        if klass is CheckpointHook:
            if runner_cls is None:
                from mmengine.runner import Runner
                runner_cls = Runner
            extra = _save_checkpoint_keywords(runner_cls)
            return None if extra is None else names | extra
        if not _passes_kwargs_to_super(init, var_keyword[0].name):
            return None
        followed = True
    return None
