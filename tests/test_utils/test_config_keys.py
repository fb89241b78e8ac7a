"""check_config_keys: misspelt keyword names of hooks, optimizer wrapper,
optimizer, schedulers and datasets, and a CAE mask generator that does not
fit the model, are named when the config is loaded, before anything is
built."""
import functools
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.hooks import CheckpointHook
from mmengine.runner import Runner

from mmcae.utils.config import (check_config_keys, check_mask_generator,
                                load_config)
from mmcae.utils.errors import UserError
from mmcae.utils.keywords import accepted_keywords

from tests.helpers import REPO_ROOT

TINY = 'tests/data/configs/tiny_vit_cls.py'
DEMO_CAE = 'configs/cae/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py'
CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT)
    for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if f'{osp.sep}_base_{osp.sep}' not in path)


@pytest.fixture(scope='module')
def fast_config_parsing():
    """Parse configs faster: for every ``mmseg::``/``mmpretrain::`` base,
    mmengine reads all the package's metafiles (about 0.3 s) to learn that
    a ``_base_`` file has no metafile entry; the answer is the same for
    every config, so it is looked up once."""
    from mmengine.config import utils
    original = utils._get_cfg_metainfo

    @functools.lru_cache(maxsize=None)
    def lookup(package_path, cfg_path):
        try:
            return original(package_path, cfg_path)
        except ValueError as err:  # not in a metafile: a _base_ file
            return err

    def cached(package_path, cfg_path):
        result = lookup(package_path, cfg_path)
        if isinstance(result, ValueError):
            raise result
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(utils, '_get_cfg_metainfo', cached)
        yield


def test_configs_found():
    assert len(CONFIGS) > 100
    assert DEMO_CAE in CONFIGS


@pytest.mark.parametrize('path', CONFIGS)
def test_every_config_passes(path, fast_config_parsing):
    """No config in configs/ gives a class a keyword it does not take (no
    model is built: the check reads signatures only)."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, path))
    check_config_keys(cfg, path)


def _tiny(**options) -> Config:
    cfg = Config.fromfile(osp.join(REPO_ROOT, TINY))
    cfg.merge_from_dict(options)
    return cfg


def _message(cfg: Config, path: str = TINY) -> str:
    with pytest.raises(UserError) as error:
        check_config_keys(cfg, path)
    message = str(error.value)
    assert message.startswith(f"config '{path}': ")
    assert '\n' not in message
    return message


@pytest.mark.parametrize('options, key, cls, hint', [
    ({'default_hooks.checkpoint.intervall': 1},
     'default_hooks.checkpoint.intervall',
     'CheckpointHook (mmengine.hooks.checkpoint_hook)', "'interval'"),
    ({'custom_hooks': [dict(type='EmptyCacheHook', after_epochh=True)]},
     'custom_hooks[0].after_epochh',
     'EmptyCacheHook (mmengine.hooks.empty_cache_hook)', "'after_epoch'"),
    ({'optim_wrapper.clip_gradd': None}, 'optim_wrapper.clip_gradd',
     'OptimWrapper (mmengine.optim.optimizer.optimizer_wrapper)',
     "'clip_grad'"),
    ({'optim_wrapper.optimizer.weight_decayy': 0.1},
     'optim_wrapper.optimizer.weight_decayy', 'AdamW (torch.optim.adamw)',
     "'weight_decay'"),
    # LinearLR -> LRSchedulerMixin passes **kwargs up -> LinearParamScheduler
    ({'param_scheduler': [dict(type='LinearLR', start_factorr=0.5)]},
     'param_scheduler[0].start_factorr',
     'LinearLR (mmengine.optim.scheduler.lr_scheduler)', "'start_factor'"),
    # mmpretrain's CustomDataset passes **kwargs up to its BaseDataset
    ({'train_dataloader.dataset.data_roott': 'x'},
     'train_dataloader.dataset.data_roott',
     'CustomDataset (mmpretrain.datasets.custom)', "'data_root'"),
    ({'test_dataloader.dataset.pipelin': []},
     'test_dataloader.dataset.pipelin',
     'CustomDataset (mmpretrain.datasets.custom)', "'pipeline'"),
])
def test_misspelt_key_names_file_key_class_and_match(options, key, cls,
                                                     hint):
    message = _message(_tiny(**options))
    assert f'{key} is not an argument of {cls}; did you mean {hint}' in \
        message
    assert message.endswith('Rename or remove the key.')


def test_checkpoint_hook_kwargs_follow_to_save_checkpoint():
    """mmengine's CheckpointHook forwards **kwargs to
    Runner.save_checkpoint, which takes none beyond what the hook passes
    itself: any extra key fails there, at the first save."""
    message = _message(_tiny(**{'default_hooks.checkpoint.filename': 'x'}))
    assert "default_hooks.checkpoint.filename is not an argument of " \
        "CheckpointHook (mmengine.hooks.checkpoint_hook); did you mean " \
        "'filename_tmpl'?" in message

    class CompressingRunner(Runner):

        def save_checkpoint(self, out_dir, filename, file_client_args=None,
                            save_optimizer=True, save_param_scheduler=True,
                            meta=None, by_epoch=True, backend_args=None,
                            compress=False):
            pass

    plain = accepted_keywords(CheckpointHook)
    assert 'interval' in plain and 'compress' not in plain
    assert 'filename' not in plain  # the hook passes it itself
    assert accepted_keywords(CheckpointHook, CompressingRunner) == \
        plain | {'compress'}


def test_wrappers_and_scope_prefixes():
    """Datasets inside RepeatDataset / ConcatDataset, in other frameworks'
    scopes by prefix or ``_scope_``."""
    repeat = dict(type='RepeatDataset', times=2,
                  dataset=dict(type='CustomDataset', data_root='x',
                               pipelin=[]))
    message = _message(_tiny(train_dataloader=dict(dataset=dict(
        repeat, _delete_=True))))
    assert "train_dataloader.dataset.dataset.pipelin is not an argument of " \
        "CustomDataset (mmpretrain.datasets.custom); did you mean " \
        "'pipeline'?" in message

    concat = dict(type='ConcatDataset', datasets=[
        dict(type='CustomDataset', data_root='x'),
        dict(type='mmseg.ADE20KDataset', data_roott='x')])
    message = _message(_tiny(train_dataloader=dict(dataset=dict(
        concat, _delete_=True))))
    assert 'train_dataloader.dataset.datasets[1].data_roott is not an ' \
        'argument of ADE20KDataset (mmseg.datasets.ade)' in message

    coco = dict(type='CocoDataset', _scope_='mmdet', ann_filee='x')
    message = _message(_tiny(val_dataloader=dict(
        batch_size=1, dataset=coco)))
    assert 'val_dataloader.dataset.ann_filee is not an argument of ' \
        "CocoDataset (mmdet.datasets.coco); did you mean 'ann_file'?" \
        in message


def test_keys_the_builders_read_pass():
    cfg = _tiny(
        custom_hooks=[dict(type='EmptyCacheHook', priority='LOW',
                           after_iter=True)],
        param_scheduler=[dict(type='CosineAnnealingLR', T_max=3,
                              by_epoch=True, convert_to_iter_based=True)],
        optim_wrapper=dict(
            type='AmpOptimWrapper', loss_scale='dynamic',
            constructor='mmcae.LayerDecayOptimWrapperConstructor',
            paramwise_cfg=dict(layer_decay_rate=0.65)),
        val_dataloader=dict(dataset=dict(type='mmseg.ADE20KDataset',
                                         data_root='x',
                                         reduce_zero_label=True)))
    check_config_keys(cfg, TINY)


def test_all_problems_in_one_message():
    message = _message(_tiny(**{
        'default_hooks.checkpoint.intervall': 1,
        'default_hooks.logger.intervall': 1,
        'optim_wrapper.optimizer.lrr': 1.
    }))
    assert message.count('is not an argument of') == 3
    assert 'default_hooks.logger.intervall' in message
    assert 'optim_wrapper.optimizer.lrr' in message
    assert message.endswith('Rename or remove the keys.')


def test_no_arguments_and_no_close_match():
    message = _message(_tiny(**{'default_hooks.timer':
                                dict(type='IterTimerHook', interval=1)}))
    assert 'default_hooks.timer.interval is not an argument of ' \
        'IterTimerHook (mmengine.hooks.iter_timer_hook); it takes no ' \
        'arguments.' in message
    message = _message(_tiny(**{'optim_wrapper.optimizer.xyz': 1}))
    assert 'optim_wrapper.optimizer.xyz is not an argument of AdamW ' \
        '(torch.optim.adamw); it takes ' in message
    assert 'amsgrad' in message and 'weight_decay' in message


class _Base:

    def __init__(self, alpha: int = 0, beta: int = 0):
        pass


class _PassesUp(_Base):

    def __init__(self, gamma: int = 0, **kwargs):
        super().__init__(**kwargs)


class _StoresKwargs(_Base):

    def __init__(self, gamma: int = 0, **kwargs):
        super().__init__()
        self.extra = kwargs


class _NoInit:
    pass


def test_accepted_keywords_follow_kwargs_up_the_mro():
    assert accepted_keywords(_PassesUp) == {'alpha', 'beta', 'gamma'}
    # **kwargs used otherwise: the keywords cannot be known
    assert accepted_keywords(_StoresKwargs) is None
    assert accepted_keywords(_NoInit) == set()

    def function(a, b=1, *, c=2):
        pass

    assert accepted_keywords(function) == {'a', 'b', 'c'}
    assert accepted_keywords(lambda **kwargs: None) is None


def test_undetermined_and_unregistered_types_are_not_checked():
    """mmpretrain's EMAHook keeps its **kwargs for the EMA model; an
    unknown type is left to mmengine's build, which names it."""
    check_config_keys(_tiny(custom_hooks=[
        dict(type='EMAHook', momentum=1e-4),
        dict(type='NoSuchHook', anything=1)
    ]), TINY)


def test_load_config_runs_the_check_after_cfg_options():
    with pytest.raises(UserError) as error:
        load_config(TINY, {'default_hooks.checkpoint.intervall': 1})
    assert f"config '{TINY}': default_hooks.checkpoint.intervall is not an " \
        'argument of CheckpointHook' in str(error.value)


# ------------------------------------------------- mask generator vs model
def _cae(**options) -> Config:
    cfg = Config.fromfile(osp.join(REPO_ROOT, DEMO_CAE))
    cfg.merge_from_dict(options)
    return cfg


def test_mask_generator_input_size_against_crop():
    """The demo CAE config: 64 px crops, 8 px patches -> an 8 x 8 grid."""
    check_config_keys(_cae(), DEMO_CAE)
    message = _message(
        _cae(**{'train_dataloader.dataset.pipeline.3.input_size': 14}),
        DEMO_CAE)
    assert message == (
        f"config '{DEMO_CAE}': train_dataloader.dataset.pipeline[3]."
        'input_size = 14 (a 14x14 mask) does not match the patch grid the '
        'encoder sees: the crop train_dataloader.dataset.pipeline[1].scale '
        '= 64 and model.backbone.patch_size = 8 give 8x8; set '
        'train_dataloader.dataset.pipeline[3].input_size = 8 (or change '
        'the crop size / model.backbone.patch_size).')
    # a patch size that disagrees with the mask is named the same way
    message = _message(_cae(**{'model.backbone.patch_size': 16}), DEMO_CAE)
    assert 'model.backbone.patch_size = 16 give 4x4; set ' \
        'train_dataloader.dataset.pipeline[3].input_size = 4' in message


def test_mask_generator_input_size_against_backbone_img_size():
    """Without a crop in the pipeline the backbone's img_size decides;
    the generator may sit in a wrapped dataset."""
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='mmcae.CAEBlockMaskGenerator', input_size=8,
             num_masking_patches=8),
    ]
    cfg = Config(dict(
        default_scope='mmpretrain',
        model=dict(type='mmcae.CAE', backbone=dict(
            type='mmcae.ViT', img_size=(32, 48), patch_size=8)),
        train_dataloader=dict(dataset=dict(
            type='RepeatDataset', times=2,
            dataset=dict(type='CustomDataset', data_root='x',
                         pipeline=pipeline)))))
    message = _message(cfg, 'x.py')
    assert 'train_dataloader.dataset.dataset.pipeline[1].input_size = 8 ' \
        '(a 8x8 mask) does not match the patch grid the encoder sees: ' \
        'model.backbone.img_size = (32, 48) and model.backbone.patch_size ' \
        '= 8 give 4x6; set train_dataloader.dataset.dataset.pipeline[1].' \
        'input_size = (4, 6)' in message
    # mmcae.ViT's defaults (224 px, 16 px patches) when the keys are absent
    del cfg.model.backbone.img_size, cfg.model.backbone.patch_size
    pipeline[1]['input_size'] = 14
    cfg.train_dataloader.dataset.dataset.pipeline = pipeline
    check_config_keys(cfg, 'x.py')


def test_mask_generator_masking_every_patch():
    message = _message(_cae(**{
        'train_dataloader.dataset.pipeline.3.num_masking_patches': 64}),
        DEMO_CAE)
    assert message == (
        f"config '{DEMO_CAE}': train_dataloader.dataset.pipeline[3]."
        'num_masking_patches = 64 masks every patch of the 8x8 grid '
        '(train_dataloader.dataset.pipeline[3].input_size = 8): the '
        'encoder would see no patch; set it below 64 (CAE masks about '
        'half: 32).')


def test_mask_check_skips_configs_without_generator_or_grid():
    check_mask_generator(_tiny(), TINY)  # no generator
    cfg = _cae()
    cfg.model.backbone.img_size = 'not a size'
    check_mask_generator(cfg, DEMO_CAE)  # grid unknown: not checked
