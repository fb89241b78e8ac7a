"""The ccMIM configs (configs/ccmim/) and their bases
(configs/_base_/{datasets/imagenet_ccmim, models/ccmim_vit-base-p16,
schedules/ccmim_adamw_coslr}.py).

The resolved settings are checked against the paper (App. C recipe,
Sec. 4.1 / 4.2 downstream protocols), the official code
(Sherrylone/ccMIM at fdc9096: fp32, its init, weight-decay set and
projector) and the metafile; every ablation differs from the recipe it
derives from in exactly the setting its name ablates; shrunk to a 2-block
ViT on 32-px images, each builds (six run one ``loss``). The downstream
configs load a ccMIM (MAE-style) encoder with the paper's lr, layer decay
and drop path, and fine-tuning starts as MAE's.
"""
import copy
import functools
import glob
import math
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from mmcae.utils.model_zoo import load_model_index

from tests.helpers import REPO_ROOT
from tests.helpers import assert_xavier_uniform

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'ccmim')
PRETRAIN = sorted(
    osp.basename(p) for p in glob.glob(osp.join(CONFIG_DIR, 'ccmim_*.py')))
PAPER = [c for c in PRETRAIN if '_demo-' not in c]
DOWNSTREAM = sorted(
    osp.relpath(p, CONFIG_DIR)
    for p in glob.glob(osp.join(CONFIG_DIR, '*.py')) +
    glob.glob(osp.join(CONFIG_DIR, 'benchmarks', '*.py'))
    if not osp.basename(p).startswith('ccmim_'))
NAME = re.compile(r'^ccmim_vit-(?P<arch>small|base)-p16_32xb32-(?P<amp>amp-)?'
                  r'coslr-(?P<epochs>\d+)e(_(?P<variant>[\w.-]+))?_in1k\.py$')
#: the one mixed-precision config, a named deviation from the fp32 recipe
AMP = 'ccmim_vit-base-p16_32xb32-amp-coslr-800e_in1k.py'
OFFICIAL = 'ccmim_vit-base-p16_32xb32-coslr-800e_official-code_in1k.py'
METAFILE = 'configs/ccmim/metafile.yml'
#: ccMIM Table 1 (Sec. 1 / 4.2): ViT-B fine-tuning top-1 per pretraining
#: length, the two absolute numbers of the paper
PAPER_FT = {300: 83.6, 800: 84.2}


@functools.lru_cache(maxsize=None)
def _resolve(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIG_DIR, name))


def _load(name: str) -> Config:
    """The resolved config (a copy: tests may change it)."""
    return copy.deepcopy(_resolve(name))


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
    """Keys whose values differ between two configs (model and schedule)."""
    fa = _flat(a.to_dict())
    fb = _flat(b.to_dict())
    return {
        key
        for key in set(fa) | set(fb)
        if fa.get(key, 'MISSING') != fb.get(key, 'MISSING')
        and not key.startswith(('filename', 'text'))
    }


def _ccmim_entries() -> dict:
    return {
        name: entry
        for name, entry in load_model_index().items()
        if entry['Metafile'] == METAFILE
    }


def _accumulation(cfg: Config) -> int:
    return cfg.optim_wrapper.get('accumulative_counts', 1)


def test_config_set():
    assert len(PAPER) == 28, PAPER
    for name in PAPER:
        assert NAME.match(name), name
    assert [c for c in PAPER if NAME.match(c)['amp']] == [AMP]
    # Table 5 (2 lengths x 4 strategies) and the lambda sweep (Sec. 4.3)
    assert sum('_divide-' in c for c in PAPER) == 8
    assert sum('_lambda' in c for c in PAPER) == 13


@pytest.mark.parametrize('name', PAPER)
def test_paper_recipe(name):
    cfg = _load(name)
    match = NAME.match(name)
    epochs = int(match['epochs'])
    assert cfg.train_cfg.max_epochs == epochs
    # App. C: AdamW, blr 1.5e-4 x 1024 / 256, betas (0.9, 0.95), wd 0.05
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'AdamW'
    # the official code's README command accumulates 4 batches of 1024
    batch = 1024 * (4 if name == OFFICIAL else 1)
    assert cfg.train_dataloader.batch_size * 32 * _accumulation(cfg) == batch
    assert math.isclose(optimizer.lr, 1.5e-4 * batch / 256)
    assert tuple(optimizer.betas) == (0.9, 0.95)
    assert optimizer.weight_decay == 0.05
    assert cfg.auto_scale_lr.base_batch_size == 1024
    # fp32 as the official engine_pretrain.py (autocast(enabled=False));
    # mixed precision only where the name says so
    assert cfg.optim_wrapper.type == (
        'AmpOptimWrapper' if match['amp'] else 'OptimWrapper')
    warmup, cosine = cfg.param_scheduler
    assert warmup.end == (10 if epochs == 100 else 40)
    assert cosine.begin == warmup.end and cosine.end == epochs
    assert cosine.T_max == epochs - warmup.end
    # augmentation: random resized crop (0.2-1) + flip only
    pipeline = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert pipeline == ['LoadImageFromFile', 'RandomResizedCrop',
                        'RandomFlip', 'PackInputs']
    assert tuple(cfg.train_dataloader.dataset.pipeline[1].crop_ratio_range
                 ) == (0.2, 1.0)
    model = cfg.model
    assert model.type == 'mmcae.CcMIM'
    assert model.backbone.arch == match['arch']
    assert model.backbone.qkv_bias == 'qkv'
    # the official init in every part, none at the model level
    assert model.backbone.init_scheme == 'mae'
    assert 'init_cfg' not in model
    assert model.attention_direction == 'cls_to_patch'
    assert model.mask_ratio == 0.75
    assert model.neck.decoder_embed_dim == 512
    assert model.neck.decoder_depth == 8
    assert model.head.norm_pix
    variant = match['variant'] or ''
    lam = re.match(r'lambda([\d.]+)', variant)
    expected = 0.1 if variant == 'official-code' else float(
        lam[1]) if lam else 0.2
    assert model.align_weight == expected
    strategy = re.match(r'divide-([\w-]+)', variant)
    assert model.mask_strategy == (
        strategy[1].replace('-', '_') if strategy else 'importance_sampling')
    if model.align_weight:
        if variant.endswith('-align'):
            assert model.align_head.type == 'LatentPredictHead'
            assert model.align_head.loss.shift_factor == 1.
        else:
            assert model.align_head.type == 'mmcae.InfoNCEHead'
            assert model.align_head.temperature == 0.5
        # models_ccmim.py: plain per-GPU BatchNorm1d in the projector
        assert model.projector.norm_cfg.type == 'BN1d'


def test_metafile_describes_every_pretraining_config():
    """One metafile entry per paper config, whose metadata are the
    resolved config's (epochs, total batch, encoder), no paper result of
    its own (the numbers belong to the downstream entries)."""
    by_config = {
        entry['Config']: entry
        for entry in _ccmim_entries().values() if entry['Results'] is None
    }
    assert sorted(by_config) == [f'configs/ccmim/{n}' for n in PAPER]
    for name in PAPER:
        cfg, metadata = _load(name), by_config[f'configs/ccmim/{name}'][
            'Metadata']
        assert metadata['Epochs'] == cfg.train_cfg.max_epochs
        assert metadata['Batch Size'] == (
            32 * cfg.train_dataloader.batch_size * _accumulation(cfg))
        assert ('Mixed Precision Training' in metadata['Training Techniques']
                ) == (cfg.optim_wrapper.type == 'AmpOptimWrapper')
        assert metadata['Architecture'] == {
            'base': 'ViT-B/16',
            'small': 'ViT-S/16'
        }[cfg.model.backbone.arch]


def test_metafile_holds_the_papers_fine_tuning_numbers():
    """Table 1's two absolute numbers, each on the fine-tuning config with
    the encoder of the pretraining length it names, at the paper's
    fine-tuning recipe (Sec. 4.1: 100 epochs, lr 1e-3, batch 1024)."""
    rows = {}
    for entry in _ccmim_entries().values():
        for result in entry['Results'] or []:
            paper = result['Paper']
            rows[(paper['Table'], paper['Arch'], paper['Epochs'],
                  paper['Column'])] = (entry, result)
    assert set(rows) == {('ccmim-1', 'ViT-B', e, 'FT') for e in PAPER_FT}
    for epochs, value in PAPER_FT.items():
        entry, result = rows[('ccmim-1', 'ViT-B', epochs, 'FT')]
        assert result['Metrics'] == {'accuracy/top1': value}
        metadata = entry['Metadata']
        assert metadata['Pretrained'] == (
            f'ccmim_vit-base-p16_32xb32-coslr-{epochs}e_in1k')
        assert metadata['Encoder Checkpoint'] == (
            f'weights/ccmim_vit-base-p16_{epochs}e.pth')
        cfg = Config.fromfile(osp.join(REPO_ROOT, entry['Config']))
        assert cfg.train_cfg.max_epochs == 100 == metadata['Epochs']
        assert cfg.optim_wrapper.optimizer.lr == 1e-3
        assert cfg.train_dataloader.batch_size * 32 == 1024


#: config -> (the config it derives from, the keys it may change)
DERIVED = {
    'ccmim_vit-base-p16_32xb32-coslr-800e_in1k.py':
    ('ccmim_vit-base-p16_32xb32-coslr-300e_in1k.py', {'epochs'}),
    'ccmim_vit-small-p16_32xb32-coslr-300e_in1k.py':
    ('ccmim_vit-base-p16_32xb32-coslr-300e_in1k.py', {'arch'}),
    'ccmim_vit-small-p16_32xb32-coslr-800e_in1k.py':
    ('ccmim_vit-base-p16_32xb32-coslr-800e_in1k.py', {'arch'}),
    OFFICIAL:
    ('ccmim_vit-base-p16_32xb32-coslr-800e_in1k.py',
     {'model.align_weight', 'optim_wrapper.accumulative_counts',
      'optim_wrapper.optimizer.lr'}),
    'ccmim_vit-base-p16_32xb32-coslr-800e_paper-formulas_in1k.py':
    ('ccmim_vit-base-p16_32xb32-coslr-800e_in1k.py',
     {'model.align_head.intra_negatives'}),
    AMP: ('ccmim_vit-base-p16_32xb32-coslr-800e_in1k.py',
          {'optim_wrapper.type', 'optim_wrapper.loss_scale'}),
    'ccmim_vit-base-p16_32xb32-coslr-400e_lambda0_in1k.py':
    ('ccmim_vit-base-p16_32xb32-coslr-400e_lambda0.2-nce_in1k.py',
     {'model.align_weight', 'model.projector', 'model.align_head'}),
}
for _lam in ('0.1', '0.4', '0.6', '0.8', '1.0'):
    for _loss in ('nce', 'align'):
        DERIVED[f'ccmim_vit-base-p16_32xb32-coslr-400e_lambda{_lam}-'
                f'{_loss}_in1k.py'] = (
                    f'ccmim_vit-base-p16_32xb32-coslr-400e_lambda0.2-'
                    f'{_loss}_in1k.py', {'model.align_weight'})
for _epochs in (100, 400):
    for _strategy in ('random', 'block', 'importance', 'importance-sampling'):
        DERIVED[f'ccmim_vit-base-p16_32xb32-coslr-{_epochs}e_divide-'
                f'{_strategy}_in1k.py'] = (
                    'ccmim_vit-base-p16_32xb32-coslr-300e_in1k.py',
                    {'epochs', 'model.mask_strategy'})
#: Table 5's divisions against the recipe at the same length: the division
#: is all that differs (the importance-sampling rows are the recipe)
SAME_LENGTH = {
    f'ccmim_vit-base-p16_32xb32-coslr-{epochs}e_divide-{strategy}'
    f'_in1k.py': parent
    for epochs, parent in (
        (100, 'ccmim_vit-base-p16_32xb32-coslr-100e_divide-importance-'
         'sampling_in1k.py'),
        (400, 'ccmim_vit-base-p16_32xb32-coslr-400e_lambda0.2-nce'
         '_in1k.py'))
    for strategy in ('random', 'block', 'importance', 'importance-sampling')
    if not (epochs == 100 and strategy == 'importance-sampling')
}

SCHEDULE_KEYS = ('train_cfg.max_epochs', 'param_scheduler')
ARCH_KEYS = ('model.backbone.arch', 'model.neck.embed_dim',
             'model.projector.in_channels', 'model.projector.hid_channels')


@pytest.mark.parametrize('name', sorted(DERIVED))
def test_ablation_changes_only_its_setting(name):
    parent, allowed = DERIVED[name]
    keys = _diff(_load(name), _load(parent))
    permitted = set()
    for item in allowed:
        if item == 'epochs':
            permitted |= {k for k in keys if k.startswith(SCHEDULE_KEYS)}
        elif item == 'arch':
            permitted |= {k for k in keys if k.startswith(ARCH_KEYS)}
        else:
            permitted |= {k for k in keys if k.startswith(item)}
    assert keys and keys <= permitted, sorted(keys - permitted)


@pytest.mark.parametrize('name', sorted(SAME_LENGTH))
def test_division_ablation_changes_only_the_division(name):
    keys = _diff(_load(name), _load(SAME_LENGTH[name]))
    assert keys == (set() if 'importance-sampling' in name else
                    {'model.mask_strategy'})


def _shrink(model: dict, dims: int = 32) -> dict:
    """A 2-block ``dims``-d encoder on 32-px images (4 x 4 patches of 8)."""
    model = copy.deepcopy(model)
    model['backbone'].update(
        arch=dict(embed_dims=dims, num_layers=2, num_heads=2,
                  mlp_hidden_dims=2 * dims), img_size=32, patch_size=8)
    model['neck'].update(num_patches=16, patch_size=8, embed_dim=dims,
                         decoder_embed_dim=dims // 2, decoder_depth=1,
                         decoder_num_heads=2)
    model['head'].update(patch_size=8)
    if model.get('projector'):
        model['projector'].update(in_channels=dims, hid_channels=dims,
                                  out_channels=16, norm_cfg=dict(type='BN1d'))
    head = model.get('align_head')
    if head and head.get('predictor'):
        head['predictor'].update(in_channels=16, hid_channels=8,
                                 out_channels=16, norm_cfg=dict(type='BN1d'))
    return model


@functools.lru_cache(maxsize=None)
def _shrunk_model(name: str):
    """The config's model, shrunk, built once per module run."""
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(_shrink(_resolve(name).model.to_dict()))
    model.init_weights()
    return model


@pytest.mark.parametrize('name', [
    'ccmim_vit-base-p16_32xb32-coslr-300e_in1k.py',
    'ccmim_vit-base-p16_32xb32-coslr-400e_lambda0_in1k.py',
    'ccmim_vit-base-p16_32xb32-coslr-400e_lambda0.4-align_in1k.py',
    'ccmim_vit-base-p16_32xb32-coslr-100e_divide-block_in1k.py',
    OFFICIAL,
    'ccmim_vit-base-p16_32xb32-coslr-800e_paper-formulas_in1k.py',
])
def test_shrunk_model_runs(name):
    cfg = _load(name)
    model = _shrunk_model(name)
    torch.manual_seed(0)
    images = torch.randint(0, 255, (2, 3, 32, 32)).float()
    data = model.data_preprocessor(
        dict(inputs=images, data_samples=None), training=True)
    losses = model.loss(data['inputs'], [])
    expected = {'loss_rec', 'loss_align'} if cfg.model.align_weight else {
        'loss_rec'}
    assert set(losses) == expected
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    model.zero_grad()


def test_full_size_vit_b_builds():
    cfg = _load('ccmim_vit-base-p16_32xb32-coslr-300e_in1k.py')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    encoder = sum(p.numel() for p in model.backbone.parameters())
    assert 85_000_000 < encoder < 87_000_000  # ViT-B/16
    assert model.divider.num_masked == 147
    assert model.projector.fc1.out_features == 256
    assert not model.projector.bn1.affine


@pytest.mark.parametrize('name', DOWNSTREAM)
def test_downstream_configs(name):
    cfg = _load(name)
    backbone = cfg.model.backbone
    # ccMIM's encoder is MAE's: one qkv bias, no layer scale
    assert backbone.qkv_bias == 'qkv'
    assert backbone.layer_scale_init_value == 0
    assert re.match(r'weights/ccmim_vit-(small|base)-p16_(300|800)e\.pth',
                    backbone.init_cfg.checkpoint)
    decay = cfg.optim_wrapper.get('paramwise_cfg', {}).get('layer_decay_rate')
    lr = cfg.optim_wrapper.optimizer.lr
    if name.startswith('mask-rcnn_'):
        arch, epochs = re.match(r'mask-rcnn_ccmim-vit-(\w+)-p16-(\d+)e',
                                name).groups()
        # Sec. 4.2: lr 3e-4, layer decay 0.75, batch 32; drop path 0.1
        # (ViT-S) and 0.2 (ViT-B: the CAE IJCV training details, which
        # Sec. 4.2 copies up to where its ViT-B sentence is cut off)
        drop_path = {'small': 0.1, 'base': 0.2}[arch]
        assert (lr, decay, backbone.drop_path_rate) == (3e-4, 0.75,
                                                        drop_path)
        assert cfg.train_dataloader.batch_size * 8 == 32
        assert cfg.train_cfg.max_epochs == 12
        # the encoder the name says, with the official ccMIM / MAE ViT-S
        # (6 heads; CAE's ViT-S has 12)
        assert backbone.arch == arch
        assert backbone.init_cfg.checkpoint == (
            f'weights/ccmim_vit-{arch}-p16_{epochs}e.pth')
    elif name.startswith(('fpn_', 'upernet_')):
        # Sec. 4.2: batch 16, layer decay 0.65, drop path 0.1
        assert (decay, backbone.drop_path_rate) == (0.65, 0.1)
        assert cfg.train_dataloader.batch_size * 8 == 16
        assert '800e' in backbone.init_cfg.checkpoint
        assert lr == 1e-4  # MAE's ADE20K lr (ccMIM gives none)
    else:
        # the average patch embedding (Sec. 4.1)
        assert backbone.out_type == 'avg_featmap'
        if 'inat' in name:
            assert lr == 3e-4 and cfg.train_cfg.max_epochs == 360
        if 'finetune_32xb32' in name:
            assert lr == 1e-3 and cfg.train_cfg.max_epochs == 100
            assert cfg.train_dataloader.batch_size * 32 == 1024
        if 'linear-probe' in name:
            assert backbone.frozen_stages == 12
        else:
            # MAE's fine-tuning start (main_finetune.py, models_vit.py
            # global_pool): the checkpoint's table, trainable; fc_norm new
            assert backbone.pos_embed == 'learned'
            assert backbone.init_cfg.type == 'Pretrained'
            assert backbone.init_cfg.norm_to_fc_norm is False


@pytest.mark.parametrize('name', [
    'mask-rcnn_ccmim-vit-small-p16-300e_8xb4-amp-1x_coco.py',
])
def test_mask_rcnn_builds_trains_and_decays_by_layer(name):
    """The ccMIM detector (a 32-d, 12-block ViT of the config's kind):
    MAE-style blocks, one training step's losses finite, and the layer-wise
    lr decay 0.75 of every parameter as the MAE / BEiT formula."""
    from .test_det_configs import (_build, _check_layer_decay, _loss,
                                   _shrink, _total)
    cfg = _load(name)
    model = _build(_shrink(cfg))
    block = model.backbone.blocks[0]
    assert block.attn.qkv.bias is not None
    assert not hasattr(block.attn, 'q_bias') and block.gamma_1 is None
    total = _total(_loss(model))
    total.backward()
    _check_layer_decay(cfg, model, 12, 0.75, 3e-4)


@pytest.mark.parametrize('name', PAPER)
def test_every_pretraining_config_builds(name):
    """Each paper config's model (shrunk as above) builds with the division
    strategy, alignment loss and projector its name says."""
    cfg = _load(name)
    model = _shrunk_model(name)
    assert type(model).__name__ == 'CcMIM'
    assert model.divider.strategy == cfg.model.mask_strategy
    assert model.align_weight == cfg.model.align_weight
    block = model.backbone.blocks[0]
    assert block.attn.qkv.bias is not None and block.gamma_1 is None
    if not cfg.model.align_weight:
        assert model.align_head is None and model.projector is None
    elif name.endswith('-align_in1k.py'):
        assert type(model.align_head).__name__ == 'LatentPredictHead'
        assert model.projector is not None
    else:
        assert type(model.align_head).__name__ == 'InfoNCEHead'
        assert model.align_head.temperature == 0.5
        # the official code projects both [CLS] outputs since ddd68ad
        assert model.projector is not None


BENCHMARKS = [n for n in DOWNSTREAM if n.startswith('benchmarks/')]


@pytest.mark.parametrize('name', BENCHMARKS)
def test_classification_benchmark_builds(name):
    """The full-size ViT-B classifier of each probe / fine-tuning config:
    MAE-style blocks, the average patch embedding as the feature, the
    probe's encoder frozen with its optimizer holding the head only, the
    fine-tuning configs training everything with layer decay 0.65."""
    from mmengine.optim import build_optim_wrapper
    cfg = _load(name)
    cfg.model.backbone.init_cfg = None
    cfg.optim_wrapper.type = 'OptimWrapper'  # fp32 here
    cfg.optim_wrapper.pop('loss_scale', None)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    backbone = model.backbone
    assert len(backbone.blocks) == 12 and backbone.embed_dims == 768
    block = backbone.blocks[0]
    assert block.attn.qkv.bias is not None and block.gamma_1 is None
    assert backbone.fc_norm is not None
    model.train()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        feature = model.extract_feat(images)  # through the probe's BN neck
        feature = feature[-1] if isinstance(feature, tuple) else feature
        logits = model.head((feature, ))
    assert feature.shape == (2, 768)
    assert logits.shape == (2, cfg.model.head.num_classes)
    optimized = {id(p) for group in optim_wrapper.optimizer.param_groups
                 for p in group['params']}
    if 'linear-probe' in name:
        assert not any(p.requires_grad for p in backbone.parameters())
        assert not backbone.fc_norm.training
        assert optimized == {id(p) for p in model.head.parameters()}
    else:
        assert not any(
            getattr(b.attn, 'relative_position_bias', None) is not None
            for b in backbone.blocks)
        # MAE's fine-tuning trains the position table (loaded from the
        # checkpoint into a learned table)
        assert backbone.pos_embed.requires_grad
        assert id(backbone.pos_embed) in optimized
        assert cfg.optim_wrapper.paramwise_cfg.layer_decay_rate == 0.65
        lrs = sorted({group['lr'] for group in
                      optim_wrapper.optimizer.param_groups})
        base_lr = cfg.optim_wrapper.optimizer.lr
        assert math.isclose(lrs[-1], base_lr)
        assert math.isclose(lrs[0], base_lr * 0.65**13)
        assert optimized == {id(p) for p in model.parameters()
                             if p.requires_grad}


def test_upernet_builds_with_layer_decay():
    """The ccMIM UperNet (32 channels, real depth): MAE-style blocks, the
    MAE / BEiT layer-wise lr of every parameter at decay 0.65."""
    from .test_seg_configs import _build, _shrink as _shrink_seg, \
        assert_layer_decay
    from .test_seg_configs import load as load_seg
    cfg = _shrink_seg(load_seg(
        'ccmim/upernet_ccmim-vit-base-p16-800e_8xb2-amp-160k-lr1e-4'
        '_ade20k-512x512.py'))
    model, optim_wrapper = _build(cfg)
    block = model.backbone.blocks[0]
    assert block.attn.qkv.bias is not None and block.gamma_1 is None
    assert model.backbone.num_layers == 12
    assert assert_layer_decay(model, optim_wrapper, cfg) > 0


@pytest.mark.parametrize('name', [
    'ccmim_vit-base-p16_32xb32-coslr-300e_in1k.py', OFFICIAL,
    'ccmim_vit-tiny-p8_1xb32-10e_demo-in1k.py'
])
def test_official_init_survives_the_models_init_weights(name):
    """The official init (models_ccmim.py initialize_weights: MAE's) after
    the whole model's init_weights: every Linear of the encoder, decoder
    and projector Xavier-uniform with zero bias, the patch embedding
    Xavier-uniform as a linear layer, [CLS] and the mask token normal with
    std 0.02, LayerNorms identity."""
    torch.manual_seed(0)
    model_cfg = _shrink(_resolve(name).model.to_dict(), dims=128)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
    model.init_weights()
    linears = {
        f'{part}.{n}': m
        for part in ('backbone', 'neck', 'projector')
        for n, m in getattr(model, part).named_modules()
        if isinstance(m, torch.nn.Linear)
    }
    # encoder 2 x (qkv, proj, fc1, fc2); decoder embed, qkv, proj, 2 FFN
    # layers, pred; projector fc0, fc1
    assert len(linears) == 8 + 6 + 2, sorted(linears)
    for key, module in linears.items():
        assert_xavier_uniform(module.weight, key)
        if module.bias is not None:
            assert not module.bias.any(), key
    assert_xavier_uniform(model.backbone.patch_embed.proj.weight,
                           'patch_embed')
    for token in (model.backbone.cls_token, model.neck.mask_token):
        assert 0.014 < token.std().item() < 0.026
        # normal, not CAE's truncation at +-std
        assert token.abs().max() > 0.02
    for module in model.modules():
        if isinstance(module, torch.nn.LayerNorm):
            assert torch.equal(module.weight, torch.ones_like(module.weight))
            assert torch.equal(module.bias, torch.zeros_like(module.bias))


@pytest.mark.parametrize(
    'name', ['ccmim_vit-base-p16_32xb32-coslr-300e_in1k.py', OFFICIAL])
def test_weight_decay_set_is_the_official_codes(name):
    """timm's add_weight_decay (submit_pretrain.py, MAE's main_pretrain.py):
    no decay for 1-d tensors and biases, decay for every other trainable
    tensor, [CLS] and the decoder's mask token included; and fp32."""
    from mmengine.optim import OptimWrapper, build_optim_wrapper
    cfg = _load(name)
    model = _shrunk_model(name)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert type(optim_wrapper) is OptimWrapper  # fp32, no AMP
    optimizer = optim_wrapper.optimizer
    decay = {}
    for group in optimizer.param_groups:
        for param in group['params']:
            decay[id(param)] = group.get('weight_decay',
                                         optimizer.defaults['weight_decay'])
    trainable = set()
    for key, param in model.named_parameters():
        if not param.requires_grad:  # the fixed sin-cos tables
            assert key.endswith('pos_embed'), key
            continue
        official = 0. if param.ndim <= 1 or key.endswith('.bias') else 0.05
        assert decay[id(param)] == official, key
        trainable.add(id(param))
    assert set(decay) == trainable
    assert decay[id(model.backbone.cls_token)] == 0.05
    assert decay[id(model.neck.mask_token)] == 0.05
    if name == OFFICIAL:
        assert optim_wrapper._accumulative_counts == 4
