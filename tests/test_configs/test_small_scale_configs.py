"""The small-scale protocol's configs (configs/benchmarks/): every method
pretrains the same encoder size at equal epochs, batch and lr; every
downstream config reads that encoder; and a published encoder of each
method loads into every downstream config through ``init_cfg`` with zero
missing encoder keys (the file loads with ``weights_only=True``)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcae.runs.small_scale import METHODS, PROTOCOLS
from tests.helpers import REPO_ROOT, perturb

BENCH = osp.join(REPO_ROOT, 'configs', 'benchmarks')
PRETRAIN = {m: spec['config'] for m, spec in METHODS.items() if spec['config']}
DOWNSTREAM = sorted({spec['config'] for spec in PROTOCOLS.values()})
#: downstream backbone keys a pretrained encoder does not have: the
#: fine-tuning recipes' relative position tables (zero-initialized, as the
#: official CAE / BEiT code) and fc_norm (copied from the final norm)
NEW_KEYS = ('relative_position_bias', 'fc_norm')


def _cfg(path: str) -> Config:
    return Config.fromfile(osp.join(REPO_ROOT, path))


def _scope(cfg: Config) -> str:
    return cfg.get('default_scope', 'mmpretrain')


def _build(cfg: Config):
    from mmengine.registry import MODELS

    import mmcae.models  # noqa: F401
    with DefaultScope.overwrite_default_scope(_scope(cfg)):
        if _scope(cfg) == 'mmseg':
            import mmseg.models  # noqa: F401
        else:
            import mmpretrain.models  # noqa: F401
        return MODELS.build(cfg.model)


def test_every_config_is_in_the_protocol():
    on_disk = {
        osp.relpath(p, REPO_ROOT)
        for p in glob.glob(osp.join(BENCH, '*.py'))
    }
    assert on_disk == set(PRETRAIN.values()) | set(DOWNSTREAM)


@pytest.mark.parametrize('method', sorted(PRETRAIN))
def test_pretraining_at_equal_epochs_batch_and_lr(method):
    cfg = _cfg(PRETRAIN[method])
    assert cfg.train_cfg.max_epochs == 5
    assert cfg.train_dataloader.batch_size == 256
    assert cfg.optim_wrapper.optimizer.lr == 1.5e-3
    assert cfg.auto_scale_lr.base_batch_size == 256
    assert cfg.param_scheduler[0].end == 1  # one warmup epoch
    assert cfg.param_scheduler[1].end == 5
    assert cfg.train_dataloader.dataset.data_root == 'data/cifar10'
    assert cfg.train_dataloader.dataset.data_prefix == 'train'
    backbone = cfg.model.backbone
    assert (backbone.img_size, backbone.patch_size) == (32, 4)
    arch = backbone.arch
    assert arch.embed_dims == 64 and arch.num_layers == 4
    assert arch.num_heads == 4


@pytest.mark.parametrize('path', DOWNSTREAM)
def test_downstream_reads_the_protocol_encoder(path):
    cfg = _cfg(path)
    backbone = cfg.model.backbone
    assert backbone.type == 'mmcae.ViT' and backbone.patch_size == 4
    assert backbone.arch.embed_dims == 64 and backbone.arch.num_layers == 4
    assert backbone.init_cfg.type == 'Pretrained'
    if 'camvid' in path:
        loaders = [cfg.val_dataloader, cfg.test_dataloader]
        assert all(l.dataset.ann_file == 'test.txt' for l in loaders)
        assert cfg.model.decode_head.num_classes == 11
    else:
        assert cfg.test_dataloader.dataset.data_prefix == 'test'
        assert cfg.model.head.num_classes == 10


@pytest.fixture(scope='module')
def published(tmp_path_factory):
    """Each method's encoder (its pretraining config, perturbed weights),
    saved as a runner checkpoint and published ``--backbone-only``."""
    from mmcae.checkpoint.publish import (build_published_checkpoint,
                                          save_with_content_hash)
    out = tmp_path_factory.mktemp('published')
    files = {}
    for method, path in PRETRAIN.items():
        cfg = _cfg(path)
        if method == 'cae':
            cfg.model.target_generator = None
        model = _build(cfg)
        perturb(model, seed=len(files))
        checkpoint = dict(state_dict=model.state_dict(),
                          meta=dict(epoch=5), optimizer={})
        published, _ = build_published_checkpoint(
            checkpoint, backbone_only=True, code_meta={})
        files[method], _ = save_with_content_hash(published,
                                                  str(out / method))
    return files


@pytest.mark.parametrize('method', sorted(PRETRAIN))
def test_published_encoder_loads_safely(published, method):
    checkpoint = torch.load(published[method], weights_only=True)
    assert set(checkpoint) == {'state_dict', 'meta'}
    assert any(k.startswith('blocks.') for k in checkpoint['state_dict'])


#: every method into the linear probe; CAE and mmpretrain's MAE (another
#: ViT layout) into every other downstream config
PAIRS = [(m, PROTOCOLS['lin']['config']) for m in sorted(PRETRAIN)] + [
    (m, path) for m in ('cae', 'mae') for path in DOWNSTREAM
    if path != PROTOCOLS['lin']['config']
]


@pytest.mark.parametrize('method,path', PAIRS)
def test_published_encoder_fills_every_downstream_config(
        published, method, path):
    """Every tensor of the file arrives unchanged in the downstream
    backbone, and the backbone has no key the file lacks but the
    recipe's new ones (:data:`NEW_KEYS`)."""
    cfg = _cfg(path)
    cfg.model.backbone.init_cfg.checkpoint = published[method]
    for option in METHODS[method]['options']:
        key, value = option.split('=')
        cfg.model.backbone[key.split('.')[-1]] = (
            float(value) if value[0].isdigit() else value)
    model = _build(cfg)
    model.init_weights()
    file_state = torch.load(published[method],
                            weights_only=True)['state_dict']
    own = model.backbone.state_dict()
    missing = [k for k in own
               if k not in file_state and not any(n in k for n in NEW_KEYS)]
    assert missing == []
    for key, value in file_state.items():
        if key in own and key != 'pos_embed':
            torch.testing.assert_close(own[key], value, rtol=0, atol=0,
                                       msg=key)
