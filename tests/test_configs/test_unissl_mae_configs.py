"""The MAE configs of configs/unissl/ (Uni-SSL, "Understanding Masked
Autoencoders From a Local Contrastive Perspective"): the MAE baseline
(Table 2), the two local decoders (Table 1) and the mask-ratio sweep
(Fig. 3b).

Each resolves to the paper's recipe (Sec. 3, Implementation details),
differs from the baseline in what its name says only, has the paper's
numbers in the metafile, and its model builds (the full-size ViT-B/16 of
each kind; a shrunk one runs a loss and backward).
"""
import copy
import functools
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from mmcae.utils.model_zoo import load_model_index

from tests.helpers import REPO_ROOT

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'unissl')
BASELINE = 'mae_vit-base-p16_8xb128-amp-coslr-100e_in1k.py'
GAUSSIAN = 'mae-gaussian-decoder_vit-base-p16_8xb128-amp-coslr-100e_in1k.py'
CONV = 'mae-conv5x5-decoder_vit-base-p16_8xb128-amp-coslr-100e_in1k.py'
MASK_RATIOS = (0.9, 0.6, 0.45, 0.3)
SWEEP = {
    f'mae_vit-base-p16_8xb128-amp-coslr-100e_mask{ratio}_in1k.py': ratio
    for ratio in MASK_RATIOS
}
#: config -> (mask ratio, neck type, the paper's top-1 of its encoder:
#: (table, column) -> number; Fig. 3b's sweep reports attention distances
#: only)
CONFIGS = {
    BASELINE: (0.75, 'MAEPretrainDecoder', {
        ('unissl-2', 'FT'): 82.9,
        ('unissl-2', 'LIN'): 55.4,
        ('unissl-1', 'Transformer'): 82.9
    }),
    GAUSSIAN: (0.75, 'mmcae.MAEGaussianDecoder', {
        ('unissl-1', 'Weighted Average'): 82.5
    }),
    CONV: (0.75, 'mmcae.MAEConvDecoder', {
        ('unissl-1', 'Conv Layer'): 82.9
    }),
    **{
        name: (ratio, 'MAEPretrainDecoder', {})
        for name, ratio in SWEEP.items()
    },
}
NECK_CLASSES = {
    'MAEPretrainDecoder': 'MAEPretrainDecoder',
    'mmcae.MAEGaussianDecoder': 'MAEGaussianDecoder',
    'mmcae.MAEConvDecoder': 'MAEConvDecoder',
}


@functools.lru_cache(maxsize=None)
def _resolve(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIG_DIR, name))


def _load(name: str) -> Config:
    """The resolved config (a copy: tests may change it)."""
    return copy.deepcopy(_resolve(name))


def _paper_numbers(name: str) -> dict:
    """(table, column) -> top-1 of the metafile's entries that load the
    encoder of the pretraining entry of ``name``."""
    models = load_model_index()
    pretrain = [n for n, e in models.items()
                if e['Config'] == f'configs/unissl/{name}'
                and e['Results'] is None]
    assert len(pretrain) == 1, (name, pretrain)
    found = {}
    for entry in models.values():
        if entry['Metadata'].get('Pretrained') == pretrain[0]:
            for result in entry['Results']:
                paper = result['Paper']
                found[(paper['Table'], paper['Column'])] = result[
                    'Metrics']['accuracy/top1']
    return found


def _flat(cfg, prefix=''):
    """Nested dicts -> {'a.b.c': value}."""
    out = {}
    for key, value in cfg.items():
        if isinstance(value, dict) and value:
            out.update(_flat(value, f'{prefix}{key}.'))
        else:
            out[f'{prefix}{key}'] = value
    return out


def _diff(a: Config, b: Config):
    fa, fb = _flat(a.to_dict()), _flat(b.to_dict())
    return {
        key
        for key in set(fa) | set(fb)
        if fa.get(key, 'MISSING') != fb.get(key, 'MISSING')
    }


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_paper_recipe(name):
    cfg = _load(name)
    mask_ratio, neck_type, numbers = CONFIGS[name]
    assert _paper_numbers(name) == numbers
    model = cfg.model
    assert model.type == 'MAE'
    assert model.backbone.type == 'MAEViT'
    assert model.backbone.arch == 'b' and model.backbone.patch_size == 16
    assert model.backbone.mask_ratio == mask_ratio
    assert model.neck.type == neck_type
    assert model.neck.decoder_embed_dim == 512
    assert model.neck.embed_dim == 768 and model.neck.num_patches == 196
    assert model.head.type == 'MAEPretrainHead' and model.head.norm_pix
    # Sec. 3: AdamW, batch 1024, lr = 1.5e-4 x 1024 / 256, 20 warmup
    # epochs then cosine; 100 epochs
    optimizer = cfg.optim_wrapper.optimizer
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert optimizer.type == 'AdamW'
    assert math.isclose(optimizer.lr, 1.5e-4 * 1024 / 256)
    assert math.isclose(optimizer.lr, 6e-4)
    assert tuple(optimizer.betas) == (0.9, 0.95)
    assert optimizer.weight_decay == 0.05
    assert cfg.train_dataloader.batch_size == 128  # x 8 GPUs = 1024
    assert cfg.auto_scale_lr.base_batch_size == 1024
    warmup, cosine = cfg.param_scheduler
    assert warmup.type == 'LinearLR'
    assert (warmup.begin, warmup.end) == (0, 20)
    assert cosine.type == 'CosineAnnealingLR'
    assert (cosine.begin, cosine.end, cosine.T_max) == (20, 100, 80)
    assert cosine.eta_min == 0
    assert warmup.by_epoch and cosine.by_epoch
    assert cfg.train_cfg.max_epochs == 100


@pytest.mark.parametrize('name', sorted(set(CONFIGS) - {BASELINE}))
def test_changes_only_its_setting(name):
    keys = _diff(_load(name), _load(BASELINE))
    keys = {k for k in keys if not k.startswith(('filename', 'text'))}
    if name in SWEEP:
        assert keys == {'model.backbone.mask_ratio'}
    else:
        assert keys and all(k.startswith('model.neck.') for k in keys), keys


def _build(model_cfg) -> torch.nn.Module:
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(model_cfg)


@pytest.mark.parametrize('name', [BASELINE, GAUSSIAN, CONV])
def test_full_size_model_builds(name):
    cfg = _load(name)
    torch.manual_seed(0)
    model = _build(cfg.model)
    assert type(model).__name__ == 'MAE'
    assert type(model.neck).__name__ == NECK_CLASSES[cfg.model.neck.type]
    encoder = sum(p.numel() for p in model.backbone.parameters())
    assert 85_000_000 < encoder < 87_000_000  # ViT-B/16
    assert model.backbone.mask_ratio == 0.75
    neck = model.neck
    assert neck.decoder_embed.in_features == 768
    assert neck.decoder_embed.out_features == 512
    assert neck.decoder_pred.out_features == 16 * 16 * 3
    learned = sum(p.numel() for p in neck.parameters() if p.requires_grad)
    if name == GAUSSIAN:
        # embed, mask token, LayerNorm, pixel Linear: nothing else learned
        assert learned == (768 * 512 + 512) + 512 + 2 * 512 + (512 * 768 +
                                                               768)
        assert neck.kernel.shape == (5, 5) and neck.sigma == 1.0
    elif name == CONV:
        conv = neck.decoder_conv
        assert (conv.in_channels, conv.out_channels) == (512, 512)
        assert conv.kernel_size == (5, 5) and conv.padding == (2, 2)
    else:
        assert len(neck.decoder_blocks) == 8
    # MAE's optimizer rules reach the decoder: no decay on its norm and
    # biases, decay on its weights
    from mmengine.optim import build_optim_wrapper
    optim_cfg = cfg.optim_wrapper.to_dict()
    optim_cfg.update(type='OptimWrapper')  # fp32 here
    optim_cfg.pop('loss_scale')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        optimizer = build_optim_wrapper(model, optim_cfg).optimizer
    decay = {
        id(p): group['weight_decay']
        for group in optimizer.param_groups for p in group['params']
    }
    assert decay[id(neck.decoder_norm.weight)] == 0
    assert decay[id(neck.decoder_pred.bias)] == 0
    assert decay[id(neck.mask_token)] == 0
    assert decay[id(neck.decoder_pred.weight)] == 0.05
    assert decay[id(neck.decoder_embed.weight)] == 0.05
    if name == CONV:
        assert decay[id(neck.decoder_conv.weight)] == 0.05
        assert decay[id(neck.decoder_conv.bias)] == 0


@pytest.mark.parametrize('name', sorted(SWEEP))
def test_sweep_mask_ratio_reaches_the_model(name):
    """The sweep's models keep the given share of the 196 patches."""
    cfg = _load(name)
    model_cfg = _shrink(cfg.model.to_dict(), img_size=224, patch_size=16)
    model = _build(model_cfg)
    assert model.backbone.mask_ratio == SWEEP[name]
    with torch.no_grad():
        latent, mask, _ = model.backbone(torch.randn(1, 3, 224, 224))
    visible = int(196 * (1 - SWEEP[name]))
    assert latent.shape[1] == 1 + visible
    assert int(mask.sum()) == 196 - visible


def _shrink(model: dict, img_size: int = 32, patch_size: int = 8) -> dict:
    """A 2-block 32-d encoder and a 16-d decoder (the config's kind)."""
    model = copy.deepcopy(model)
    num_patches = (img_size // patch_size)**2
    model['backbone'].update(
        arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                  feedforward_channels=64),
        img_size=img_size, patch_size=patch_size)
    model['neck'].update(num_patches=num_patches, patch_size=patch_size,
                         embed_dim=32, decoder_embed_dim=16)
    if model['neck']['type'] == 'MAEPretrainDecoder':
        model['neck'].update(decoder_depth=1, decoder_num_heads=2)
    model['head'].update(patch_size=patch_size)
    return model


@pytest.mark.parametrize('name', [GAUSSIAN, CONV])
def test_shrunk_decoder_model_trains(name):
    cfg = _load(name)
    torch.manual_seed(0)
    model = _build(_shrink(cfg.model.to_dict()))
    model.init_weights()
    images = torch.randint(0, 255, (2, 3, 32, 32)).float()
    data = model.data_preprocessor(
        dict(inputs=images, data_samples=None), training=True)
    losses = model.loss(data['inputs'], [])
    assert set(losses) == {'loss'}
    assert torch.isfinite(losses['loss']) and losses['loss'] > 0
    losses['loss'].backward()
    grads = [p.grad for p in model.neck.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert model.backbone.patch_embed.projection.weight.grad.abs().sum() > 0
