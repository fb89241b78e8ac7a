"""The Uni-SSL and DINO-baseline configs (configs/unissl/unissl_*, dino_*),
their bases (configs/_base_/{datasets/imagenet_unissl,
models/unissl_vit-base-p16, schedules/unissl_adamw_coslr}.py) and the
evaluation configs (configs/unissl/benchmarks/).

Every paper config resolves to the recipe of Sec. 3 (AdamW, lr 5e-4 x 1024
/ 256, batch 8 x 128, 10 warmup epochs, 100 epochs, K = 5, S = 80) and
differs from the main one in exactly the setting its name sweeps (Table 3
K, Table 4 S); the metafile holds the paper's numbers of Tables 2-4 on the
encoders of these configs, and Table 2's "Random Init" row on its own
from-scratch config; the main ViT-B model builds at full size; the data
pipeline gives two overlapping views with their boxes; the tiny demo
config trains a step. The 12-crop DINO config is DINO's own recipe
(facebookresearch/dino main_dino.py: 2 x 224 px crops of scale (0.4, 1),
10 x 96 px of scale (0.05, 0.4)), its demo the same at a quarter of the
sizes, and it trains a few steps on the demo set; fine-tuning starts as
MAE's (a trainable position table from the checkpoint, fc_norm at
identity); the probe pools as MAE's --global_pool path.
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
TWO_CROPS = 'dino_vit-base-p16_8xb128-amp-coslr-100e_2crops_in1k.py'
MULTICROP = 'dino_vit-base-p16_8xb128-amp-coslr-300e_12crops_in1k.py'
MULTICROP_DEMO = 'dino_vit-tiny-p8_1xb32-10e_12crops_demo-in1k.py'
FINETUNE = 'benchmarks/vit-base-p16_finetune_8xb128-amp-100e_in1k.py'
RANDOM_INIT = ('benchmarks/vit-base-p16_finetune-random-init_8xb128-amp-'
               '100e_in1k.py')
PROBE = 'benchmarks/vit-base-p16_linear-probe_16xb1024-lars-90e_in1k.py'


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
    TWO_CROPS: {('unissl-2', 'FT'): 81.8, ('unissl-2', 'LIN'): 68.1},
    MULTICROP: {('unissl-2', 'FT'): 82.8, ('unissl-2', 'LIN'): 78.2},
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


def _multiview(cfg):
    (multiview, ) = [t for t in cfg.train_pipeline if t.type == 'MultiView']
    return multiview


def test_multicrop_config_is_dinos_recipe():
    """main_dino.py's DataAugmentationDINO (lines 419-465) with the paper's
    12 crops, its 300 epochs, --min_lr and weight-decay groups; the model
    of the 2-crop baseline."""
    cfg = _load(MULTICROP)
    assert cfg.model == _load(TWO_CROPS).model
    assert cfg.train_dataloader.dataset.pipeline == cfg.train_pipeline
    multiview = _multiview(cfg)
    assert multiview.num_views == [1, 1, 10]
    crops = [view[0] for view in multiview.transforms]
    assert [(c.type, c.scale, tuple(c.crop_ratio_range), c.interpolation)
            for c in crops] == [
                ('RandomResizedCrop', 224, (0.4, 1.0), 'bicubic'),
                ('RandomResizedCrop', 224, (0.4, 1.0), 'bicubic'),
                ('RandomResizedCrop', 96, (0.05, 0.4), 'bicubic')]
    for view in multiview.transforms:
        assert [t.type for t in view[1:4]] == [
            'RandomFlip', 'RandomApply', 'RandomGrayscale']
        jitter = view[2].transforms[0]
        assert (jitter.brightness, jitter.contrast, jitter.saturation,
                jitter.hue) == (0.4, 0.4, 0.2, 0.1)
        assert (view[1].prob, view[2].prob, view[3].prob) == (0.5, 0.8, 0.2)
    blurs = [[t.prob for t in view if t.type == 'GaussianBlur']
             for view in multiview.transforms]
    assert blurs == [[1.0], [0.1], [0.5]]
    solarize = [[(t.thr, t.prob) for t in view if t.type == 'Solarize']
                for view in multiview.transforms]
    assert solarize == [[], [(128, 0.2)], []]
    assert cfg.train_cfg.max_epochs == 300
    warmup, cosine, decay = cfg.param_scheduler
    assert (warmup.end, cosine.begin, cosine.end) == (10, 10, 300)
    assert cosine.eta_min == 1e-6
    assert (decay.param_name, decay.eta_min_ratio, decay.end) == (
        'weight_decay', 10., 300)
    # DINO decays [CLS] and the position table (only biases and norms not)
    assert 'custom_keys' not in cfg.optim_wrapper.paramwise_cfg
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(2e-3)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'


def test_multicrop_views_have_the_official_sizes_and_scales(
        mmpretrain_scope):
    """The built pipeline gives 2 x 224 px + 10 x 96 px views, and its
    crops cover (0.4, 1) and (0.05, 0.4) of the image area."""
    cfg = _load(MULTICROP)
    multiview = TRANSFORMS.build(_multiview(cfg))
    rng = np.random.RandomState(0)
    np.random.seed(0)
    image = rng.randint(0, 255, (300, 260, 3), dtype=np.uint8)
    views = multiview(dict(img=image))['img']
    assert [v.shape for v in views] == [(224, 224, 3)] * 2 + [(96, 96, 3)
                                                             ] * 10
    for pipeline, (low, high) in zip(
            multiview.pipelines, ((0.4, 1.0), (0.4, 1.0), (0.05, 0.4))):
        crop = pipeline.transforms[0]
        areas = np.array([
            np.prod(crop.rand_crop_params(image)[2:]) / image[..., 0].size
            for _ in range(300)
        ])
        # whole pixels: a target area rounds by up to a row or column
        assert areas.min() >= low - 0.01 and areas.max() <= high + 0.01
        assert areas.min() < low + 0.05 and areas.max() > high - 0.1


def test_multicrop_demo_is_the_paper_pipeline_at_a_quarter_size():
    """56 : 24 px = 224 : 96 px, 7 x 7 and 3 x 3 grids of 8-px patches as
    14 x 14 and 6 x 6 of 16-px ones; everything else identical."""
    paper = _multiview(_load(MULTICROP))
    demo = _multiview(_load(MULTICROP_DEMO))
    for view in paper.transforms:
        view[0].scale //= 4
    assert demo == paper
    cfg = _load(MULTICROP_DEMO)
    backbone = cfg.model.backbone
    assert (backbone.img_size, backbone.patch_size) == (56, 8)
    assert (backbone.pos_embed, backbone.out_type) == ('learned',
                                                       'cls_token')
    assert cfg.model.type == 'mmcae.DINO'


def test_multicrop_demo_trains_a_few_steps(small_demo_sets,
                                           mmpretrain_scope):
    """Eight demo images through the 12-crop pipeline, three optimizer
    steps: every crop has its size, the loss stays finite, the student
    learns (prototypes included) and the teacher follows by EMA."""
    from mmengine.dataset import default_collate
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.registry import DATASETS

    cfg = _load(MULTICROP_DEMO)
    MessageHub.get_current_instance().update_info('max_iters', 10)
    torch.manual_seed(0)
    np.random.seed(0)
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.data_root = osp.join(small_demo_sets, 'imagenet')
    dataset = DATASETS.build(dataset_cfg)
    model = MODELS.build(cfg.model)
    model.init_weights()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    for step in range(3):
        batch = default_collate([dataset[8 * step + i] for i in range(8)])
        if step == 0:
            assert [tuple(v.shape) for v in batch['inputs']] == (
                [(8, 3, 56, 56)] * 2 + [(8, 3, 24, 24)] * 10)
        losses = model.train_step(batch, optim_wrapper)
        assert torch.isfinite(losses['loss']), (step, losses)
    after = model.state_dict()
    for key in ('backbone.pos_embed', 'backbone.blocks.0.attn.qkv.weight',
                'neck.last_layer.weight_v', 'teacher.module.0.pos_embed',
                'head.center'):
        assert not torch.equal(before[key], after[key]), key


def test_finetune_starts_as_maes_with_a_trainable_position_table(tmp_path):
    """MAE's start: the file's table in a trainable pos_embed, fc_norm at
    identity although the file has a trained final norm. Built at full
    size (no file) and, for the load, with the config's backbone settings
    at a small width."""
    from mmcae.models import ViT
    cfg = _load(FINETUNE)
    backbone = cfg.model.backbone
    assert backbone.pos_embed == 'learned'
    assert backbone.init_cfg.norm_to_fc_norm is False
    assert (backbone.out_type, backbone.final_norm) == ('avg_featmap', False)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        full = MODELS.build(dict(cfg.model, backbone=dict(backbone,
                                                          init_cfg=None)))
    full.train()
    assert full.backbone.pos_embed.requires_grad
    assert full.backbone.pos_embed.shape == (1, 197, 768)

    torch.manual_seed(0)
    small = dict(arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                           mlp_hidden_dims=64), img_size=32, patch_size=8)
    pretrained = ViT(**small, qkv_bias='qkv', pos_embed='sincos')
    pretrained.init_weights()
    torch.nn.init.normal_(pretrained.norm.weight)
    torch.nn.init.normal_(pretrained.norm.bias)
    path = str(tmp_path / 'encoder.pth')
    torch.save(
        dict(state_dict={
            f'backbone.{k}': v
            for k, v in pretrained.state_dict().items()
        }), path)
    settings = {
        k: v
        for k, v in backbone.items()
        if k not in ('type', 'arch', 'img_size', 'patch_size', 'init_cfg')
    }
    model = ViT(**small, **settings,
                init_cfg=dict(backbone.init_cfg, checkpoint=path))
    model.init_weights()
    model.train()
    assert torch.equal(model.pos_embed, pretrained.pos_embed)
    assert model.pos_embed.requires_grad
    assert torch.equal(model.fc_norm.weight, torch.ones(32))
    assert torch.equal(model.fc_norm.bias, torch.zeros(32))


def test_random_init_row_fine_tunes_from_scratch():
    """Table 2's Random Init (78.6): the fine-tuning config without an
    encoder, its own metafile entry naming none."""
    cfg, finetune = _load(RANDOM_INIT), _load(FINETUNE)
    assert cfg.model.backbone.init_cfg is None
    assert cfg.model.backbone.init_scheme == 'trunc_normal'
    finetune.model.backbone.init_cfg = None
    finetune.model.backbone.init_scheme = 'trunc_normal'
    assert cfg.model == finetune.model
    assert cfg.optim_wrapper == finetune.optim_wrapper
    assert cfg.train_cfg == finetune.train_cfg
    (entry, ) = [
        e for e in load_model_index().values()
        if e['Config'] == f'configs/unissl/{RANDOM_INIT}'
    ]
    assert 'Encoder Checkpoint' not in entry['Metadata']
    assert 'Pretrained' not in entry['Metadata']
    (result, ) = entry['Results']
    assert result['Metrics'] == {'accuracy/top1': 78.6}
    assert (result['Paper']['Table'], result['Paper']['Method'],
            result['Paper']['Column']) == ('unissl-2', 'Random Init', 'FT')


def test_probe_pools_as_maes_global_pool():
    """MAE's --global_pool (models_vit.py): mean of the last block's patch
    tokens, no pretrained final norm, a frozen fresh LayerNorm."""
    backbone = _load(PROBE).model.backbone
    assert (backbone.out_type, backbone.final_norm) == ('avg_featmap', False)
    assert backbone.frozen_stages == 12


def test_dino_encoder_is_initialized_as_dinos_vit():
    """DINO's vision_transformer.py (lines 161-172): linear layers, [CLS]
    and the learned position table truncated normal std 0.02, zero biases
    and the patch embedding left at torch's Conv2d default ('dino')."""
    from mmcae.models import ViT
    backbone = dict(_load(TWO_CROPS).model.backbone)
    assert backbone['init_scheme'] == 'dino'
    backbone.pop('type')
    backbone.update(arch=dict(embed_dims=192, num_layers=2, num_heads=3,
                              mlp_hidden_dims=768))
    torch.manual_seed(0)
    model = ViT(**backbone)
    model.init_weights()
    qkv = model.blocks[0].attn.qkv
    assert qkv.weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert torch.equal(qkv.bias, torch.zeros_like(qkv.bias))
    assert model.pos_embed.std().item() == pytest.approx(0.02, rel=0.05)
    # torch's Conv2d default: U(+-1/sqrt(fan_in)), a nonzero bias
    patch = model.patch_embed.proj
    assert patch.weight.abs().max() <= patch.weight[0].numel()**-.5
    assert torch.count_nonzero(patch.bias) > 0
