"""The CAE pretraining configs (configs/cae/*.py) and their bases
(configs/_base_/datasets/imagenet_cae.py, models/cae_vit-base-p16.py,
schedules/cae_adamw_coslr.py).

Every config parses, resolves to the paper's recipe (a table below, one row
per config: a new config without a row fails), has its model-index entry
(metafile.yml: arch, epochs, batch; the demo has none), and builds: shrunk
to a 2-block 32-d ViT (and, for token targets, a tiny DALL-E encoder without
weights), its model runs one ``loss`` on random images with masks drawn by
the config's own mask generator, through the config's own data
preprocessor. The two-view pipeline of imagenet_cae.py runs on a real image
file.

What the official code (Atten4Vis/CAE a7fd162) fixes and the papers do not
say is checked against it: 12 heads for ViT-S everywhere (encoder, neck,
probes, dense-task backbones), the encoder's drop path also in the regressor
and decoder, the official initialization of a whole model built from a
config, and the fine-tuning start from the pretrained final norm.
"""
import copy
import functools
import glob
import math
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import TRANSFORMS, DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from PIL import Image

from mmcae.utils.model_zoo import load_model_index as _load_model_index
from tests.helpers import REPO_ROOT
from tests.helpers import assert_official_cae_init


@functools.lru_cache(maxsize=None)
def load_model_index():
    """configs/*/metafile.yml, read once per module."""
    return _load_model_index()


CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'cae')
BASE_DIR = osp.join(REPO_ROOT, 'configs', '_base_')
# the pretraining configs (cae_*, cae-arxiv_*); the downstream configs of
# the folder (upernet_*, mask-rcnn_*, vitb_*, ...) have their own tests
CONFIGS = sorted(
    osp.basename(path) for path in glob.glob(osp.join(CONFIG_DIR, 'cae*.py')))

TINY_ARCH = dict(embed_dims=32, num_layers=2, num_heads=2, mlp_hidden_dims=64)
BATCH = 2
LR = 1.5e-3  # both papers, for the total batch 2048
IMAGENET_MEAN = [123.675, 116.28, 103.53]
IMAGENET_STD = [58.395, 57.12, 57.375]


def _row(paper, arch, epochs, warmup, masked, drop_path, layer_scale,
         align=2., depth=(4, 4), target='tokens', tokenizer='dalle',
         regressor_type='cross_attention', **extra):
    """``drop_path``: the encoder's rate, which the official code also
    spaces over the regressor's and the decoder's blocks."""
    row = dict(
        regressor_type=regressor_type,
        paper=paper,
        arch=arch,
        epochs=epochs,
        warmup=warmup,
        masked=masked,
        drop_path=drop_path,
        layer_scale=layer_scale,
        align=align,
        regressor_depth=depth[0],
        decoder_depth=depth[1],
        target=target,
        tokenizer=tokenizer if target == 'tokens' else None,
        out_channels=8192 if target == 'tokens' else 768,
        grid=14,
        lr=LR,
        total_batch=2048,
        gpus=32,
        batch_per_gpu=64)
    row.update(extra)
    return row


IJCV, ARXIV = 'IJCV', 'arXiv'
B300 = 'cae_vit-base-p16_32xb64-amp-coslr-300e'
ARXIV_B300 = 'cae-arxiv_vit-base-p16_32xb64-amp-coslr-300e'

#: config -> the recipe values it must resolve to (the papers' recipes)
EXPECTED = {
    # IJCV 2023: 98 masked, drop path 0.1, warmup 10/20/40 for 300/800/1600
    f'{B300}_in1k.py': _row(IJCV, 'base', 300, 10, 98, 0.1, 0.1),
    'cae_vit-base-p16_32xb64-amp-coslr-800e_in1k.py':
    _row(IJCV, 'base', 800, 20, 98, 0.1, 0.1),
    'cae_vit-base-p16_32xb64-amp-coslr-1600e_in1k.py':
    _row(IJCV, 'base', 1600, 40, 98, 0.1, 0.1),
    'cae_vit-small-p16_32xb64-amp-coslr-300e_in1k.py':
    _row(IJCV, 'cae-small', 300, 10, 98, 0.1, 0.1),
    'cae_vit-large-p16_32xb64-amp-coslr-1600e_in1k.py':
    _row(IJCV, 'large', 1600, 40, 98, 0.1, 1e-5),
    # IJCV ablations (ViT-B, 300 epochs, DALL-E unless stated)
    f'{B300}_ablation-no-decoder_in1k.py':
    _row(IJCV, 'base', 300, 10, 98, 0.1, 0.1, depth=(4, 0)),
    f'{B300}_ablation-no-align_in1k.py':
    _row(IJCV, 'base', 300, 10, 98, 0.1, 0.1, align=0.),
    f'{B300}_ablation-no-decoder-no-align_in1k.py':
    _row(IJCV, 'base', 300, 10, 98, 0.1, 0.1, align=0., depth=(4, 0)),
    f'{B300}_ablation-lambda1_in1k.py':
    _row(IJCV, 'base', 300, 10, 98, 0.1, 0.1, align=1.),
    f'{B300}_ablation-lambda1.5_in1k.py':
    _row(IJCV, 'base', 300, 10, 98, 0.1, 0.1, align=1.5),
    f'{B300}_ablation-depth1_in1k.py':
    _row(IJCV, 'base', 300, 10, 98, 0.1, 0.1, depth=(1, 1)),
    f'{B300}_ablation-depth2_in1k.py':
    _row(IJCV, 'base', 300, 10, 98, 0.1, 0.1, depth=(2, 2)),
    f'{B300}_ablation-depth5_in1k.py':
    _row(IJCV, 'base', 300, 10, 98, 0.1, 0.1, depth=(5, 5)),
    f'{B300}_ablation-mask40_in1k.py':
    _row(IJCV, 'base', 300, 10, 78, 0.1, 0.1),
    f'{B300}_ablation-mask60_in1k.py':
    _row(IJCV, 'base', 300, 10, 118, 0.1, 0.1),
    f'{B300}_ablation-pixel-target_in1k.py':
    _row(IJCV, 'base', 300, 10, 98, 0.1, 0.1, target='pixels'),
    f'{B300}_ablation-dvae-target_in1k.py':
    _row(IJCV, 'base', 300, 10, 98, 0.1, 0.1, tokenizer='dvae'),
    # IJCV "Experiments": self-attention regressor, "a little lower
    # performance" (no number)
    f'{B300}_ablation-self-attn-regressor_in1k.py':
    _row(IJCV, 'base', 300, 10, 98, 0.1, 0.1,
         regressor_type='self_attention'),
    # arXiv 2022: 75 masked, no drop path, warmup 10 for 300 and 800
    f'{ARXIV_B300}_in1k.py': _row(ARXIV, 'base', 300, 10, 75, 0., 0.1),
    'cae-arxiv_vit-base-p16_32xb64-amp-coslr-800e_in1k.py':
    _row(ARXIV, 'base', 800, 10, 75, 0., 0.1),
    'cae-arxiv_vit-small-p16_32xb64-amp-coslr-300e_in1k.py':
    _row(ARXIV, 'cae-small', 300, 10, 75, 0., 0.1),
    f'{ARXIV_B300}_ablation-no-align_in1k.py':
    _row(ARXIV, 'base', 300, 10, 75, 0., 0.1, align=0.),
    f'{ARXIV_B300}_ablation-no-decoder-no-align_in1k.py':
    _row(ARXIV, 'base', 300, 10, 75, 0., 0.1, align=0., depth=(4, 0)),
    # the CPU demo (not a paper recipe): 64 px, 8 px patches, 32 of 64
    'cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py':
    _row('demo', dict(embed_dims=64, num_layers=4, num_heads=4,
                      mlp_hidden_dims=256), 10, 1, 32, 0.1, 0.1,
         depth=(2, 2), target='pixels', out_channels=8 * 8 * 3, grid=8,
         lr=1.5e-3 * 32 / 2048 * 8, total_batch=32, gpus=1,
         batch_per_gpu=32),
}

#: tokenizer -> (type, weights file, the 112 px view's mean and std):
#: DALL-E maps x to 0.8 * x / 255 + 0.1 (std 255 / 0.8, mean -0.1 * std);
#: BEiT's customized d-VAE normalizes with mean 0.5, std 0.5
TOKENIZERS = dict(
    dalle=('mmcae.DALLEEncoder', 'weights/dalle_encoder.pth', -31.875,
           318.75),
    dvae=('mmcae.DiscreteVAETokenizer', 'weights/dvae_tokenizer.pth', 127.5,
          127.5))
#: tiny versions (random weights, 8x downsampling kept)
TINY_TOKENIZERS = {
    'mmcae.DALLEEncoder': dict(n_hid=4, n_blk_per_group=1),
    'mmcae.DiscreteVAETokenizer': dict(hidden_dim=4),
}

#: the encoder width / heads of each named arch (the neck matches them):
#: the official cae_{small,base,large}_patch16_224_8k_vocab
#: (models/modeling_cae.py lines 199-238) and --decoder_num_heads (12 by
#: default, tools/run_pretraining.py line 145; 16 in the ViT-L script)
ARCH_DIMS = {'cae-small': (384, 12), 'base': (768, 12), 'large': (1024, 16)}
#: the metafile's Architecture of each named arch
ARCH_LABEL = {'cae-small': 'ViT-S/16', 'base': 'ViT-B/16',
              'large': 'ViT-L/16'}


def load(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIG_DIR, name))


def find(pipeline, type_suffix: str) -> dict:
    matches = [t for t in pipeline if t['type'].endswith(type_suffix)]
    assert len(matches) == 1, (type_suffix, pipeline)
    return matches[0]


def data_preprocessor_cfg(cfg: Config) -> dict:
    """What mmengine's Runner gives the model: its own data_preprocessor,
    else the config's top-level one (``model.setdefault``)."""
    return copy.deepcopy(
        cfg.model.get('data_preprocessor', None) or cfg.data_preprocessor)


def shrink(model_cfg: dict) -> dict:
    """The config's model with a 2-block 32-d encoder / neck and, for token
    targets, a tiny version of its tokenizer (random weights, 8x
    downsampling kept) with the neck's vocabulary."""
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg['backbone']['arch'] = dict(TINY_ARCH)
    model_cfg['neck'].update(embed_dims=32, num_heads=2)
    if model_cfg.get('target', 'tokens') == 'tokens':
        kind = model_cfg['target_generator']['type']
        model_cfg['target_generator'] = dict(
            type=kind,
            vocab_size=model_cfg['neck']['out_channels'],
            **TINY_TOKENIZERS[kind])
    return model_cfg


@pytest.fixture(scope='module')
def random_views():
    """One random uint8 batch per view size, reused by every config."""
    generator = torch.Generator().manual_seed(0)

    def views(size: int) -> torch.Tensor:
        return torch.randint(
            0, 256, (BATCH, 3, size, size), generator=generator,
            dtype=torch.uint8)

    return {size: views(size) for size in (64, 112, 224)}


def test_every_config_has_a_row():
    assert CONFIGS, CONFIG_DIR
    assert set(CONFIGS) == set(EXPECTED), (
        set(CONFIGS) ^ set(EXPECTED))


@pytest.mark.parametrize('name', CONFIGS)
def test_paper_numbers(name):
    expected = EXPECTED[name]
    cfg = load(name)
    model = cfg.model
    entries = [
        entry for entry in load_model_index().values()
        if entry['Config'] == f'configs/cae/{name}'
    ]
    if expected['paper'] == 'demo':
        assert entries == [], 'the demo is not a paper config'
    else:
        # one pretraining entry (no paper numbers: those are on the
        # downstream entries that load its encoder)
        (entry, ) = entries
        assert entry['Results'] is None
        meta = entry['Metadata']
        assert meta['Architecture'] == ARCH_LABEL[expected['arch']]
        assert meta['Epochs'] == expected['epochs']
        assert meta['Batch Size'] == expected['total_batch']
    assert cfg.default_scope == 'mmpretrain'

    # name: {algo}_{arch}_{gpus}xb{batch}-...-{epochs}e_..., batch per GPU
    # x GPUs = the paper's total batch = the lr's base batch
    gpus, per_gpu, epochs = map(
        int, re.search(r'_(\d+)xb(\d+)-.*?(\d+)e_', name).groups())
    assert (gpus, per_gpu, epochs) == (expected['gpus'],
                                       expected['batch_per_gpu'],
                                       expected['epochs'])
    assert cfg.train_dataloader.batch_size == per_gpu
    assert cfg.auto_scale_lr.base_batch_size == gpus * per_gpu == \
        expected['total_batch']
    assert cfg.train_dataloader.collate_fn.type == 'default_collate'
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(expected['lr'])
    assert cfg.optim_wrapper.optimizer.betas == (0.9, 0.999)
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.05
    assert cfg.optim_wrapper.clip_grad.max_norm == 3.0

    # linear warmup, then cosine to 1e-5 until the last epoch
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop'
    assert cfg.train_cfg.max_epochs == expected['epochs']
    warmup, cosine = cfg.param_scheduler
    assert warmup.type == 'LinearLR' and cosine.type == 'CosineAnnealingLR'
    assert (warmup.begin, warmup.end) == (0, expected['warmup'])
    assert (cosine.begin, cosine.end) == (expected['warmup'],
                                          expected['epochs'])
    assert cosine.T_max == expected['epochs'] - expected['warmup']
    assert cosine.eta_min == 1e-5
    assert warmup.convert_to_iter_based and cosine.convert_to_iter_based

    # masking: an exact count on the encoder's patch grid
    mask_cfg = find(cfg.train_dataloader.dataset.pipeline,
                    'CAEBlockMaskGenerator')
    assert mask_cfg.num_masking_patches == expected['masked']
    assert mask_cfg.input_size == expected['grid']
    backbone = model.backbone
    assert backbone.img_size // backbone.patch_size == expected['grid']
    assert find(cfg.train_dataloader.dataset.pipeline,
                'PackInputs').algorithm_keys == ['mask']

    # the model
    assert model.type == 'mmcae.CAE'
    assert backbone.type == 'mmcae.ViT'
    assert backbone.arch == expected['arch']
    assert backbone.qkv_bias == 'qv' and backbone.pos_embed == 'sincos'
    assert backbone.out_type == 'raw'
    assert backbone.drop_path_rate == expected['drop_path']
    assert backbone.layer_scale_init_value == expected['layer_scale']
    # the official init (modeling_cae.py _init_weights), as a ViT option
    # that no model-level init_cfg can overwrite
    assert backbone.init_scheme == 'cae'
    assert 'init_cfg' not in model or model.init_cfg is None
    neck = model.neck
    # the official code hands the encoder's rate to regressor and decoder
    assert neck.drop_path_rate == expected['drop_path']
    assert neck.get('regressor_type', 'cross_attention') == \
        expected['regressor_type']
    if isinstance(expected['arch'], str):  # a paper recipe: 224 px, p16
        assert (backbone.img_size, backbone.patch_size) == (224, 16)
        assert (neck.embed_dims,
                neck.num_heads) == ARCH_DIMS[expected['arch']]
    else:
        assert (neck.embed_dims, neck.num_heads) == (
            expected['arch']['embed_dims'], expected['arch']['num_heads'])
    assert neck.layer_scale_init_value == expected['layer_scale']
    assert neck.regressor_depth == expected['regressor_depth']
    assert neck.decoder_depth == expected['decoder_depth']
    assert neck.out_channels == expected['out_channels']
    assert model.align_weight == expected['align']
    assert model.get('target', 'tokens') == expected['target']

    preprocessor = data_preprocessor_cfg(cfg)
    crop = find(cfg.train_dataloader.dataset.pipeline, 'TwoPic') \
        if expected['paper'] != 'demo' else None
    if expected['target'] == 'tokens':
        # a tokenizer on the 112 px lanczos view, with its own input map
        kind, weights, mean, std = TOKENIZERS[expected['tokenizer']]
        generator = model.target_generator
        assert generator.type == kind
        assert generator.init_cfg == dict(
            type='Pretrained', checkpoint=weights)
        assert generator.get('vocab_size', 8192) == 8192
        assert (crop.size, crop.second_size) == (224, 112)
        assert crop.second_interpolation == 'lanczos'
        assert preprocessor['type'] == 'TwoNormDataPreprocessor'
        assert preprocessor['second_mean'] == [mean] * 3
        assert preprocessor['second_std'] == [std] * 3
    else:
        assert model.get('target_generator') is None
        if crop is not None:
            assert crop.get('second_size') is None
        assert preprocessor['type'] == 'SelfSupDataPreprocessor'
    assert preprocessor['mean'] == IMAGENET_MEAN
    assert preprocessor['std'] == IMAGENET_STD
    assert preprocessor['to_rgb'] is True
    if crop is not None:
        assert crop.scale == (0.08, 1.0) and crop.interpolation == 'bicubic'


@pytest.mark.parametrize('name', CONFIGS)
def test_tiny_model_loss(name, random_views):
    expected = EXPECTED[name]
    cfg = load(name)
    model_cfg = shrink(cfg.model.to_dict())
    model_cfg['data_preprocessor'] = data_preprocessor_cfg(cfg)
    mask_cfg = copy.deepcopy(
        find(cfg.train_dataloader.dataset.pipeline, 'CAEBlockMaskGenerator'))
    mask_cfg['seed'] = 0
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
        mask_generator = TRANSFORMS.build(mask_cfg)
    model.init_weights()
    model.train()

    # what the config builds
    assert len(model.neck.regressors) == expected['regressor_depth']
    assert len(model.neck.decoders) == expected['decoder_depth']
    assert model.neck.head.out_features == expected['out_channels']
    last_drop_path = model.backbone.blocks[-1].drop_path  # linear to max
    assert getattr(last_drop_path, 'drop_prob', 0.) == pytest.approx(
        expected['drop_path'])
    # regressor and decoder: each linear from 0 to the encoder's rate over
    # its own blocks (torch.linspace in modeling_cae_helper.py lines 320,
    # 386: one block gets 0)
    for part in (model.neck.regressors, model.neck.decoders):
        rates = [getattr(block.drop_path, 'drop_prob', 0.) for block in part]
        depth = len(part)
        official = [expected['drop_path'] * i / (depth - 1)
                    for i in range(depth)] if depth > 1 else [0.] * depth
        assert rates == pytest.approx(official)
    assert model.neck.regressor_type == expected['regressor_type']
    torch.testing.assert_close(
        model.backbone.blocks[0].gamma_1.detach(),
        torch.full((32, ), float(expected['layer_scale'])))
    torch.testing.assert_close(
        model.neck.regressors[0].gamma_1.detach(),
        torch.full((32, ), float(expected['layer_scale'])))

    grid = expected['grid']
    image_size = grid * model.backbone.patch_size
    masks = [mask_generator({})['mask'] for _ in range(BATCH)]
    for mask in masks:
        assert mask.shape == (grid, grid)
        assert int(mask.sum()) == expected['masked']
    data_samples = []
    for mask in masks:
        sample = DataSample()
        sample.set_field(mask, 'mask')
        data_samples.append(sample)
    if expected['target'] == 'tokens':
        inputs = [random_views[image_size], random_views[image_size // 2]]
    else:
        inputs = random_views[image_size]
    data = model.data_preprocessor(
        dict(inputs=inputs, data_samples=data_samples), True)
    torch.manual_seed(0)
    losses = model.loss(**data)

    assert set(losses) == ({'loss_main', 'loss_align'}
                           if expected['align'] > 0 else {'loss_main'})
    for value in losses.values():
        assert value.ndim == 0 and torch.isfinite(value), losses
    # at init the head's outputs are near 0: cross entropy ~ log(vocab),
    # MSE ~ the unit variance of per-patch normalized pixels
    if expected['target'] == 'tokens':
        assert losses['loss_main'].item() == pytest.approx(
            math.log(expected['out_channels']), abs=0.5)
    else:
        assert 0.5 < losses['loss_main'].item() < 1.5
    if expected['align'] > 0:
        assert losses['loss_align'].item() > 0


def test_imagenet_cae_pipeline(tmp_path):
    """The two-view pipeline on a 256 x 256 image file: a 224 px and a
    112 px view of the same crop, and a 14 x 14 mask with 98 True."""
    cfg = Config.fromfile(osp.join(BASE_DIR, 'datasets', 'imagenet_cae.py'))
    assert 'default_scope' not in cfg  # a dataset base, any framework
    dataset = cfg.train_dataloader.dataset
    assert (dataset.type, dataset.data_root, dataset.split) == (
        'ImageNet', 'data/imagenet', 'train')
    assert cfg.train_dataloader.batch_size == 64
    assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
    assert cfg.train_dataloader.collate_fn.type == 'default_collate'
    types = [t['type'] for t in dataset.pipeline]
    assert types == [
        'LoadImageFromFile', 'RandomFlip',
        'RandomResizedCropAndInterpolationWithTwoPic',
        'mmcae.CAEBlockMaskGenerator', 'PackInputs'
    ]

    rng = np.random.default_rng(0)
    path = str(tmp_path / 'image.png')
    Image.fromarray(rng.integers(0, 256, (256, 256, 3),
                                 dtype=np.uint8)).save(path)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose(copy.deepcopy(dataset.pipeline))
    np.random.seed(0)
    packed = pipeline(dict(img_path=path))
    view, target_view = packed['inputs']
    assert view.shape == (3, 224, 224) and view.dtype == torch.uint8
    assert target_view.shape == (3, 112, 112)
    # the same crop: the 112 px view is close to the 224 px view halved
    halved = torch.nn.functional.avg_pool2d(view[None].float(), 2)[0]
    assert (halved - target_view.float()).abs().mean() < \
        (halved - halved.flip(-1)).abs().mean()
    mask = np.asarray(packed['data_samples'].mask)
    assert mask.shape == (14, 14) and mask.dtype == bool
    assert int(mask.sum()) == 98


def test_imagenet_cae_normalization():
    """View 0: ImageNet mean / std; view 1 (the tokenizer's): 0.8 * x /
    255 + 0.1; both BGR -> RGB."""
    cfg = Config.fromfile(osp.join(BASE_DIR, 'datasets', 'imagenet_cae.py'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        preprocessor = MODELS.build(cfg.data_preprocessor)
    generator = torch.Generator().manual_seed(1)
    bgr = [
        torch.randint(0, 256, (1, 3, size, size), generator=generator,
                      dtype=torch.uint8) for size in (224, 112)
    ]
    out = preprocessor(dict(inputs=bgr, data_samples=None), True)['inputs']
    rgb = [view.flip(1).float() for view in bgr]
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    torch.testing.assert_close(out[0], (rgb[0] - mean) / std)
    torch.testing.assert_close(out[1], 0.8 * rgb[1] / 255 + 0.1)
    assert 0.1 - 1e-6 <= out[1].min() and out[1].max() <= 0.9 + 1e-6


def test_no_weight_decay_groups():
    """Norms, biases, q/v biases, gammas, [CLS], the mask token and the
    position table get no weight decay; weight matrices get 0.05."""
    from mmengine.optim import build_optim_wrapper
    cfg = load(f'{B300}_in1k.py')
    model_cfg = shrink(cfg.model.to_dict())
    optim_cfg = copy.deepcopy(cfg.optim_wrapper.to_dict())
    optim_cfg['type'] = 'OptimWrapper'  # fp32 here
    optim_cfg.pop('loss_scale')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
        wrapper = build_optim_wrapper(model, optim_cfg)
    decay_of = {}
    for group in wrapper.optimizer.param_groups:
        for param in group['params']:
            decay_of[id(param)] = group['weight_decay']
    no_decay = ('bias', 'norm', 'gamma', 'cls_token', 'mask_token',
                'pos_embed')
    checked = 0
    for name, param in model.named_parameters():
        if not param.requires_grad or name.startswith('target_generator'):
            continue
        want = 0. if any(key in name for key in no_decay) else 0.05
        assert decay_of[id(param)] == want, name
        checked += 1
    assert checked > 50
    names = dict(model.named_parameters())
    for name in ('backbone.blocks.0.attn.q_bias', 'backbone.cls_token',
                 'neck.mask_token', 'neck.regressors.0.gamma_1',
                 'neck.regressors.0.norm_q.weight'):
        assert decay_of[id(names[name])] == 0., name
    assert decay_of[id(names['backbone.blocks.0.attn.qkv.weight'])] == 0.05


QUICKSTART = osp.join(
    REPO_ROOT, 'configs', 'quickstart',
    'cae_vit-tiny-p8_1xb32-pixel-16e_quickstart-demo-in1k.py')


@pytest.mark.parametrize('path', [
    osp.join(CONFIG_DIR, f'{B300}_in1k.py'),
    osp.join(CONFIG_DIR, 'cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py'),
    QUICKSTART,
])
def test_config_model_gets_the_official_init(path):
    """A model built from the config and initialized as the runner does
    (``model.init_weights()`` of the whole mmcae.CAE: parent, then
    children) has the official CAE init: every Linear of encoder and neck
    Xavier-uniform with zero bias (the decoder head too), the patch
    embedding and [CLS] truncated normal std 0.02 cut at +-0.02, the mask
    token likewise (models/modeling_cae.py lines 70-71, 85-86, 105-112;
    modeling_cae_helper.py lines 223, 266-269)."""
    cfg = Config.fromfile(path)
    assert cfg.model.backbone.init_scheme == 'cae'
    model_cfg = shrink(cfg.model.to_dict())
    model_cfg['backbone']['arch'] = dict(
        embed_dims=64, num_layers=2, num_heads=4, mlp_hidden_dims=256)
    model_cfg['neck'].update(embed_dims=64, num_heads=4)
    if model_cfg.get('target_generator'):
        model_cfg['target_generator']['vocab_size'] = 512
        model_cfg['neck']['out_channels'] = 512
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
    with torch.no_grad():  # nothing of the constructors' init may survive
        for name, param in model.named_parameters():
            if param.requires_grad and not name.startswith(
                    'target_generator'):
                param.fill_(5.)
    model.init_weights()
    linears = assert_official_cae_init(model)
    depth_r, depth_d = (model_cfg['neck'][key]
                        for key in ('regressor_depth', 'decoder_depth'))
    assert linears == 2 * 4 + 6 * depth_r + 4 * depth_d + 1


def _official_small_configs():
    """Every CAE config of a ViT-S / ViT-T encoder: the CAE folder (with
    benchmarks/), the CAE quickstart and the small Mask R-CNN base."""
    paths = glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
    paths += glob.glob(
        osp.join(REPO_ROOT, 'configs', 'quickstart', 'cae_*.py'))
    names = [
        path for path in paths
        if re.search(r'(small|tiny)', osp.basename(path))
    ]
    names.append(
        osp.join(BASE_DIR, 'models', 'mask-rcnn_vit-small-p16_fpn.py'))
    return sorted(names)


def test_small_config_list_is_complete():
    names = [
        osp.relpath(path, REPO_ROOT) for path in _official_small_configs()
    ]
    for expected in (
            'configs/cae/cae_vit-small-p16_32xb64-amp-coslr-300e_in1k.py',
            'configs/cae/benchmarks/vit-small-p16_attentive-probe_8xb1024-'
            'sgd-90e_in1k.py',
            'configs/cae/mask-rcnn_cae-vit-small-p16-300e_8xb4-amp-1x_coco.py',
            'configs/cae/upernet_cae-vit-small-p16-300e_8xb2-amp-160k-lr4e-4'
            '_ade20k-512x512.py'):
        assert expected in names


@pytest.fixture(scope='module')
def cae_small_heads():
    """The heads of every block of a built arch='cae-small' ViT."""
    from mmcae.models import ViT
    vit = ViT(arch='cae-small', img_size=32, patch_size=16)
    assert vit.embed_dims == 384 and len(vit.blocks) == 12
    return {block.attn.num_heads for block in vit.blocks}


@pytest.mark.parametrize(
    'path', _official_small_configs(),
    ids=lambda path: osp.relpath(path, REPO_ROOT))
def test_small_configs_have_the_official_12_heads(path, cae_small_heads):
    """Official CAE ViT-S (and ViT-T) has 12 heads, in pretraining
    (models/modeling_cae.py lines 187-210) and fine-tuning / probing
    (models/modeling_finetune.py lines 478-491); the regressor / decoder
    (--decoder_num_heads 12) and the attentive probe (the encoder's, line
    370) too. The demo configs (a 64-d custom arch, not ViT-S/T) keep their
    arch dict; the DeiT references are DeiT's own ViT-S (6 heads)."""
    cfg = Config.fromfile(path)
    backbone = cfg.model.backbone
    name = osp.basename(path)
    if name.startswith('deit-'):
        assert backbone.type == 'VisionTransformer'
        assert backbone.arch == 'deit-small'
        return
    if not isinstance(backbone.arch, str):
        # the demo encoder: 64-d, 4 heads of 16 channels
        assert backbone.arch['embed_dims'] == 64
        return
    assert backbone.arch in ('cae-small', 'cae-tiny'), backbone.arch
    assert cae_small_heads == {12}
    neck = cfg.model.get('neck')
    if isinstance(neck, dict) and neck.get('type') == 'mmcae.CAENeck':
        assert (neck.embed_dims, neck.num_heads) == (384, 12)
    head = cfg.model.get('head')
    if isinstance(head, dict) and head.get('type') == \
            'mmcae.AttentiveProbeHead':
        assert (head.in_channels, head.num_heads) == (384, 12)


FINETUNE_CONFIGS = sorted(
    osp.basename(path) for path in glob.glob(
        osp.join(CONFIG_DIR, 'benchmarks', 'vit-*_finetune_*.py')))


@pytest.mark.parametrize('name', FINETUNE_CONFIGS)
def test_finetune_configs_start_as_the_official_script(name):
    """tools/run_class_finetuning.py of the official code: relative position
    bias per block (on by default, lines 34-36), fixed sin-cos positions
    (--sin_pos_emb, lines 37-39; modeling_finetune.py lines 338-339, 405),
    mean pooling + LayerNorm (lines 134-136) starting as the pretrained
    final norm (norm.* -> fc_norm.*, lines 346-351)."""
    cfg = Config.fromfile(osp.join(CONFIG_DIR, 'benchmarks', name))
    backbone = cfg.model.backbone
    assert backbone.type == 'mmcae.ViT'
    assert backbone.use_rel_pos_bias is True
    assert backbone.pos_embed == 'sincos'
    assert (backbone.out_type, backbone.final_norm) == ('avg_featmap', False)
    assert backbone.init_cfg.type == 'Pretrained'
    assert backbone.init_cfg.norm_to_fc_norm is True


def test_finetune_model_pools_with_the_pretrained_final_norm(tmp_path):
    """A CAE pretraining file in the official layout (``model`` ->
    ``encoder.*`` keys) loaded by the fine-tune config: the file's final
    norm arrives in the pooled feature's norm, values equal."""
    from mmcae.models import ViT
    arch = dict(embed_dims=32, num_layers=2, num_heads=2, mlp_hidden_dims=64)
    torch.manual_seed(0)
    encoder = ViT(arch=arch, img_size=32, patch_size=16, qkv_bias='qv',
                  layer_scale_init_value=0.1, pos_embed='sincos',
                  out_type='raw')
    encoder.init_weights()
    with torch.no_grad():
        for param in encoder.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    state = {f'encoder.{k}': v for k, v in encoder.state_dict().items()}
    assert 'encoder.norm.weight' in state
    path = str(tmp_path / 'cae_official_layout.pth')
    torch.save({'model': state}, path)

    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, 'benchmarks',
                 'vit-base-p16_finetune_32xb128-amp-100e_in1k.py'))
    backbone_cfg = cfg.model.backbone.to_dict()
    backbone_cfg.update(arch=arch, img_size=32, drop_path_rate=0.)
    backbone_cfg['init_cfg']['checkpoint'] = path
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        backbone = MODELS.build(backbone_cfg)
    backbone.init_weights()
    torch.testing.assert_close(backbone.fc_norm.weight.detach(),
                               state['encoder.norm.weight'], rtol=0, atol=0)
    torch.testing.assert_close(backbone.fc_norm.bias.detach(),
                               state['encoder.norm.bias'], rtol=0, atol=0)
    assert not torch.all(backbone.fc_norm.weight == 1)


def test_self_attention_regressor_config_trains_one_step(random_views):
    """The IJCV self-attention-regressor ablation builds from its config
    and trains one optimizer step (the demo-sized encoder, a tiny DALL-E,
    random images and the config's own masks)."""
    from mmengine.optim import build_optim_wrapper
    cfg = load(f'{B300}_ablation-self-attn-regressor_in1k.py')
    model_cfg = shrink(cfg.model.to_dict())
    model_cfg['backbone']['arch'] = dict(
        embed_dims=64, num_layers=4, num_heads=4, mlp_hidden_dims=256)
    model_cfg['neck'].update(embed_dims=64, num_heads=4)
    model_cfg['data_preprocessor'] = data_preprocessor_cfg(cfg)
    assert model_cfg['neck']['regressor_type'] == 'self_attention'
    mask_cfg = copy.deepcopy(
        find(cfg.train_dataloader.dataset.pipeline, 'CAEBlockMaskGenerator'))
    mask_cfg['seed'] = 0
    optim_cfg = copy.deepcopy(cfg.optim_wrapper.to_dict())
    optim_cfg['type'] = 'OptimWrapper'  # fp32 here
    optim_cfg.pop('loss_scale')
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
        mask_generator = TRANSFORMS.build(mask_cfg)
        model.init_weights()
        wrapper = build_optim_wrapper(model, optim_cfg)
    assert model.neck.regressor_type == 'self_attention'
    model.train()
    samples = []
    for _ in range(BATCH):
        sample = DataSample()
        sample.set_field(mask_generator({})['mask'], 'mask')
        samples.append(sample)
    before = {
        name: param.detach().clone()
        for name, param in model.named_parameters() if param.requires_grad
    }
    data = dict(inputs=[random_views[224], random_views[112]],
                data_samples=samples)
    log_vars = model.train_step(data, wrapper)
    assert set(log_vars) >= {'loss', 'loss_main', 'loss_align'}
    assert all(torch.isfinite(value) for value in log_vars.values())
    changed = {
        name for name, param in model.named_parameters()
        if name in before and not torch.equal(param.detach(), before[name])
    }
    for prefix in ('backbone.blocks.0.', 'neck.regressors.0.',
                   'neck.regressors.1.', 'neck.decoders.', 'neck.head.',
                   'neck.mask_token'):
        assert any(name.startswith(prefix) for name in changed), prefix
