"""The Uni-SSL and DINO-baseline configs (configs/unissl/unissl_*, dino_*)
and their bases (configs/_base_/{datasets/imagenet_unissl,
models/unissl_vit-base-p16, schedules/unissl_adamw_coslr}.py).

Every paper config resolves to the recipe of Sec. 3 (AdamW, lr 5e-4 x 1024
/ 256, batch 8 x 128, 10 warmup epochs, 100 epochs, K = 5, S = 80) and
differs from the main one in exactly the setting its name sweeps (Table 3
K, Table 4 S); the metafile holds the paper's numbers of Tables 2-4 on the
encoders of these configs; the main ViT-B model builds at full size; the
data pipeline gives two overlapping views with their boxes; the tiny demo
config trains a step.
"""
import copy
import functools
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS, TRANSFORMS

from mmcae.utils.model_zoo import load_model_index

from tests.helpers import REPO_ROOT

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'unissl')
MAIN = 'unissl_vit-base-p16_8xb128-amp-coslr-100e_in1k.py'
PAPER = sorted(
    osp.basename(p)
    for p in glob.glob(osp.join(CONFIG_DIR, 'unissl_*in1k.py'))
    if '_demo-' not in p)
DEMO = 'unissl_vit-tiny-p8_1xb32-10e_demo-in1k.py'


#: the paper's fine-tuning / linear-probing top-1 of each pretraining
#: config's encoder: (table, column) -> number (Tables 2, 3 and 4)
PAPER_NUMBERS = {
    MAIN: {('unissl-2', 'FT'): 82.7, ('unissl-2', 'LIN'): 61.3,
           ('unissl-3', 'K=5'): 82.6, ('unissl-4', 'S=80'): 82.6},
    **{
        f'unissl_vit-base-p16_8xb128-amp-coslr-100e_k{k}_in1k.py': {
            ('unissl-3', f'K={k}'): value}
        for k, value in ((3, 82.4), (4, 82.5), (6, 82.7), (7, 82.6),
                         (8, 82.4))
    },
    **{
        f'unissl_vit-base-p16_8xb128-amp-coslr-100e_s{s}_in1k.py': {
            ('unissl-4', f'S={s}'): value}
        for s, value in ((48, 82.1), (16, 81.7))
    },
    'dino_vit-base-p16_8xb128-amp-coslr-100e_2crops_in1k.py': {
        ('unissl-2', 'FT'): 81.8, ('unissl-2', 'LIN'): 68.1},
    # no number in the paper ("CNNs work too")
    'unissl_resnet50_8xb128-amp-coslr-100e_in1k.py': {},
}


@functools.lru_cache(maxsize=None)
def _resolve(name: str) -> Config:
    return Config.fromfile(osp.join(CONFIG_DIR, name))


def _load(name: str) -> Config:
    """The resolved config (a copy: tests may change it)."""
    return copy.deepcopy(_resolve(name))


def test_the_sweeps_are_all_there():
    assert MAIN in PAPER
    for k in (3, 4, 6, 7, 8):
        assert f'unissl_vit-base-p16_8xb128-amp-coslr-100e_k{k}_in1k.py' \
            in PAPER
    for s in (48, 16):
        assert f'unissl_vit-base-p16_8xb128-amp-coslr-100e_s{s}_in1k.py' \
            in PAPER
    assert 'unissl_resnet50_8xb128-amp-coslr-100e_in1k.py' in PAPER


@pytest.mark.parametrize('name', PAPER)
def test_paper_recipe(name):
    cfg = _load(name)
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'AdamW'
    assert optimizer.lr == pytest.approx(5e-4 * 1024 / 256)
    assert cfg.train_dataloader.batch_size * 8 == 1024
    assert cfg.auto_scale_lr.base_batch_size == 1024
    warmup, cosine, decay = cfg.param_scheduler
    assert (warmup.type, warmup.end) == ('LinearLR', 10)
    assert (cosine.begin, cosine.end) == (10, 100)
    assert decay.param_name == 'weight_decay'
    assert cfg.train_cfg.max_epochs == 100
    crop = cfg.train_pipeline[1]
    assert crop.type == 'mmcae.OverlappingTwoViewCrop'
    assert crop.crop_ratio_range == (0.25, 1.0) and crop.min_overlap == 0.3
    jitter = crop.view_pipeline[0]
    assert jitter.prob == 0.8
    assert jitter.transforms[0].hue == 0.1
    assert crop.view_pipeline[1].prob == 0.2
    assert crop.view_pipeline[2].magnitude_range == (0.1, 2.0)
    model = cfg.model
    assert model.head.student_temperature == 0.1
    assert model.head.teacher_temperature == 0.04
    assert model.head.center_momentum == 0.9
    assert model.neck.num_layers == 3
    assert model.base_momentum == 0.004
    expected_k = 5
    expected_s = 80
    if '_k' in name:
        expected_k = int(name.split('_k')[1][0])
    if '_s' in name.split('coslr')[-1]:
        expected_s = int(name.split('_s')[-1].split('_')[0])
    assert model.num_points == expected_k
    assert model.pixel_window == expected_s


@pytest.mark.parametrize('name', sorted(PAPER_NUMBERS))
def test_metafile_holds_the_papers_numbers(name):
    """The pretraining entry matches the resolved config; the downstream
    entries that load its encoder hold exactly the paper's numbers, each
    on the evaluation config of its column (LIN: the linear probe)."""
    models = load_model_index()
    config = f'configs/unissl/{name}'
    pretrain = [n for n, e in models.items()
                if e['Config'] == config and e['Results'] is None]
    assert len(pretrain) == 1, pretrain
    entry = models[pretrain[0]]
    assert entry['Metadata']['Epochs'] == _load(name).train_cfg.max_epochs
    found = {}
    for downstream in models.values():
        if downstream['Metadata'].get('Pretrained') != pretrain[0]:
            continue
        for result in downstream['Results']:
            paper = result['Paper']
            key = (paper['Table'], paper['Column'])
            found[key] = result['Metrics']['accuracy/top1']
            assert ('linear-probe' in downstream['Config']) == (
                paper['Column'] == 'LIN'), (downstream['Config'], paper)
    assert found == PAPER_NUMBERS[name]


def test_main_model_builds_at_full_size_and_the_pipeline_pairs_views():
    cfg = _load(MAIN)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        pipeline = [TRANSFORMS.build(t) for t in cfg.train_pipeline[1:]]
    assert model.pixel_predictor.out_features == 3 * 80 * 80
    assert model.backbone.patch_resolution == (14, 14)
    teacher = sum(p.numel() for p in model.teacher.parameters())
    student = sum(p.numel() for p in model.backbone.parameters()) + sum(
        p.numel() for p in model.neck.parameters())
    assert teacher == student
    assert not any(p.requires_grad for p in model.teacher.parameters())
    np.random.seed(0)
    results = dict(img=np.random.randint(0, 255, (300, 260, 3),
                                         dtype=np.uint8))
    for transform in pipeline:
        results = transform(results)
    sample = results['data_samples']
    assert [tuple(v.shape) for v in results['inputs']] == [(3, 224, 224)] * 2
    boxes = sample.crop_boxes
    assert boxes.shape == (2, 4) and sample.crop_flips.shape == (2, )


def test_resnet_and_dino_baseline_build():
    cfg = _load('unissl_resnet50_8xb128-amp-coslr-100e_in1k.py')
    assert cfg.model.backbone.type == 'ResNet'
    assert cfg.model.feature_channels == 2048
    dino = _load('dino_vit-base-p16_8xb128-amp-coslr-100e_2crops_in1k.py')
    assert dino.model.type == 'mmcae.DINO'
    assert dino.model.backbone.out_type == 'cls_token'
    assert dino.optim_wrapper.optimizer.lr == pytest.approx(2e-3)
    assert dino.train_pipeline == _load(MAIN).train_pipeline
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        resnet = MODELS.build(cfg.model)
    assert resnet.pixel_predictor.in_features == 2048


def test_demo_config_trains_a_step():
    cfg = _load(DEMO)
    MessageHub.get_current_instance().update_info('max_iters', 10)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        pipeline = [TRANSFORMS.build(t) for t in cfg.train_pipeline[1:]]
    model.init_weights()
    batch = []
    rng = np.random.RandomState(0)
    for _ in range(2):
        results = dict(img=rng.randint(0, 255, (80, 90, 3), dtype=np.uint8))
        for transform in pipeline:
            results = transform(results)
        batch.append(results)
    from mmengine.dataset import default_collate
    data = model.data_preprocessor(default_collate(batch), training=True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert set(losses) == {'loss_sim', 'loss_pixel'}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.patch_embed.proj.weight.grad.abs().sum() > 0
