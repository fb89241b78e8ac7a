"""mmcae's registries: children of mmengine's root registries, scope ``mmcae``.

Because every registry here hangs off mmengine's root (not off mmpretrain's,
mmseg's or mmdet's), a config of ANY of those frameworks can name our classes
with the scope prefix, exactly as mmdet configs name ``mmpretrain.ConvNeXt``::

    default_scope = 'mmseg'
    model = dict(type='EncoderDecoder', backbone=dict(type='mmcae.ViT', ...))
    optim_wrapper = dict(constructor='mmcae.LayerDecayOptimWrapperConstructor')

How it resolves (mmengine's ``Registry.get``): the prefix ``mmcae`` makes
mmengine import :mod:`mmcae.registry` (this module), find the ``mmcae`` child
under the root, and that child imports its ``locations`` (the modules that
register the classes) on first use. No ``custom_imports`` are needed.

Register a class with the matching registry::

    from mmcae.registry import MODELS

    @MODELS.register_module()
    class ViT(BaseModule): ...
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import \
    RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import \
    WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

SCOPE = 'mmcae'

_ENGINE = ['mmcae.engine']

#: runners and what builds them
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, scope=SCOPE,
                   locations=_ENGINE)
RUNNER_CONSTRUCTORS = Registry('runner constructor',
                               parent=MMENGINE_RUNNER_CONSTRUCTORS,
                               scope=SCOPE, locations=_ENGINE)
#: train / val / test loops
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, scope=SCOPE,
                 locations=_ENGINE)
#: hooks
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, scope=SCOPE,
                 locations=_ENGINE)
#: log processors
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS,
                          scope=SCOPE, locations=_ENGINE)
#: optimizers
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS, scope=SCOPE,
                      locations=_ENGINE)
#: optimizer wrappers
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS,
                          scope=SCOPE, locations=_ENGINE)
#: optimizer wrapper constructors (layer-wise lr decay lives here)
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    scope=SCOPE,
    locations=_ENGINE)
#: learning-rate / momentum schedulers
PARAM_SCHEDULERS = Registry('parameter scheduler',
                            parent=MMENGINE_PARAM_SCHEDULERS, scope=SCOPE,
                            locations=_ENGINE)

#: datasets
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, scope=SCOPE,
                    locations=['mmcae.datasets'])
#: data samplers
DATA_SAMPLERS = Registry('data sampler', parent=MMENGINE_DATA_SAMPLERS,
                         scope=SCOPE, locations=['mmcae.datasets'])
#: data transforms (mask generators, multi-view crops)
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, scope=SCOPE,
                      locations=['mmcae.datasets'])

#: models: backbones, necks, heads, losses, self-supervised algorithms
MODELS = Registry('model', parent=MMENGINE_MODELS, scope=SCOPE,
                  locations=['mmcae.models'])
#: model wrappers (DDP and friends)
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS,
                          scope=SCOPE, locations=_ENGINE)
#: weight initializers
WEIGHT_INITIALIZERS = Registry('weight initializer',
                               parent=MMENGINE_WEIGHT_INITIALIZERS,
                               scope=SCOPE, locations=['mmcae.checkpoint'])
#: task utilities (assigners, samplers, coders)
TASK_UTILS = Registry('task util', parent=MMENGINE_TASK_UTILS, scope=SCOPE,
                      locations=['mmcae.models'])

# No mmcae module registers metrics, evaluators, visualizers or inferencers
# (the frameworks' own are used): the day one does, name it in
# ``locations`` so that configs find it without imports.
#: metrics
METRICS = Registry('metric', parent=MMENGINE_METRICS, scope=SCOPE)
#: evaluators
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, scope=SCOPE)
#: visualizers and their backends
VISUALIZERS = Registry('visualizer', parent=MMENGINE_VISUALIZERS,
                       scope=SCOPE)
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS,
                       scope=SCOPE)
#: inferencers
INFERENCERS = Registry('inferencer', parent=MMENGINE_INFERENCERS,
                       scope=SCOPE)

#: plain functions (collate functions, ...)
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, scope=SCOPE,
                     locations=['mmcae.datasets'])

#: every registry above, by attribute name (used by config checks)
ALL_REGISTRIES = {
    name: value
    for name, value in dict(globals()).items()
    if isinstance(value, Registry) and value.scope == SCOPE
}
