"""The evaluation-protocol configs (configs/cae/benchmarks/*.py): ImageNet
linear probing, attentive probing and fine-tuning (CAE Table 1), transfer
fine-tuning (CAE IJCV Table 4, ccMIM Table 4), the supervised DeiT
references and the tiny demo configs.

Every config found by the glob has a row below (a new config without one
fails), its paper top-1s are the metafile's (configs/cae/metafile.yml, one
entry per encoder), and it carries its recipe: optimizer, lr at the documented total batch
(GPUs x batch from the file name, scaled linearly), epochs, warmup, layer
decay, weight decay, the probes' frozen encoder and head-only optimizer,
the fine-tuning augmentations and head. The ViT-S/B ImageNet models build
at full size (ViT-L at its real depth, 32 channels wide) and the probes'
encoders stay frozen and in eval mode after ``model.train()``. The
annotation-file datasets build from the layout configs/cae/README.md
documents, the iNaturalist one after running its JSON conversion.
"""
import functools
import glob
import json
import math
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from mmcae.utils.model_zoo import load_model_index as _load_model_index
from tests.helpers import REPO_ROOT


@functools.lru_cache(maxsize=None)
def load_model_index():
    """configs/*/metafile.yml, read once per module."""
    return _load_model_index()


BENCH_DIR = osp.join(REPO_ROOT, 'configs', 'cae', 'benchmarks')
CONFIGS = sorted(
    osp.basename(path) for path in glob.glob(osp.join(BENCH_DIR, '*.py')))
#: 9 ImageNet paper configs, 6 transfer, 2 DeiT references, 3 demo
NUM_CONFIGS = 20

#: the official CAE ViT-S has 12 heads (Atten4Vis/CAE
#: models/modeling_finetune.py line 488): mmcae's 'cae-small'
DEPTH = {'cae-small': 12, 'base': 12, 'large': 24}
WIDTH = {'cae-small': 384, 'base': 768, 'large': 1024}
#: channels per head: 32 for the 12-head ViT-S, 64 for ViT-B / L
HEAD_DIMS = {'cae-small': 32, 'base': 64, 'large': 64, 'tiny': 16}
CHECKPOINT = {
    'cae-small': 'weights/cae_vit-small-p16_300e.pth',
    'base': 'weights/cae_vit-base-p16_300e.pth',
    'large': 'weights/cae_vit-large-p16_1600e.pth',
}
DEMO_CHECKPOINT = ('work_dirs/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k/'
                   'epoch_10.pth')
TRANSFER_CHECKPOINT = 'weights/cae_vit-base-p16_1600e.pth'


def _row(protocol, arch, optim, lr, batch, epochs, warmup, paper=(),
         **extra):
    """The recipe a config must carry: ``lr`` is the rate at the total
    batch ``batch`` (the paper's, or ours where the paper gives none);
    ``paper``: the top-1s its metafile entries hold (the paper's numbers)."""
    row = dict(protocol=protocol, arch=arch, optim=optim, lr=lr,
               batch=batch, epochs=epochs, warmup=warmup, paper=paper,
               weight_decay=0. if protocol in ('lin', 'att') else 0.05,
               num_classes=1000, dataset='ImageNet',
               checkpoint=CHECKPOINT.get(arch))
    row.update(extra)
    return row


def _lin(arch, paper=(), **extra):
    return _row('lin', arch, 'LARS', 6.4, 16384, 90, 10, paper, **extra)


def _att(arch, paper=(), **extra):
    return _row('att', arch, 'SGD', 0.4, 8192, 90, 10, paper, **extra)


def _ft(arch, lr, epochs, decay, paper=(), batch=4096, **extra):
    extra.setdefault('drop_path', 0.2 if arch == 'large' else 0.1)
    return _row('ft', arch, 'AdamW', lr, batch, epochs, 5, paper,
                decay=decay, **extra)


def _transfer(dataset, num_classes, lr, batch, epochs, **extra):
    return _ft('base', lr, epochs, 0.65, (), batch=batch,
               dataset=dataset, num_classes=num_classes,
               checkpoint=TRANSFER_CHECKPOINT, **extra)


def _demo(protocol, optim, lr, **extra):
    extra.setdefault('decay', 0.75)
    row = _row(protocol, 'tiny', optim, lr, 64, 20, 2, num_classes=8,
               checkpoint=DEMO_CHECKPOINT, drop_path=0.1, **extra)
    return row


IN1K_ATT_B = 'vit-base-p16_attentive-probe_8xb1024-sgd-90e_in1k.py'
CUSTOM = dict(train='meta/train.txt', val='meta/val.txt')
#: config -> its recipe
EXPECTED = {
    # arXiv Table 1 (ViT-S/B); ViT-L: IJCV Table 1 (cells not in our copy)
    'vit-small-p16_linear-probe_16xb1024-lars-90e_in1k.py':
    _lin('cae-small', (50.8, )),
    'vit-base-p16_linear-probe_16xb1024-lars-90e_in1k.py':
    _lin('base', (64.2, 68.3)),
    'vit-large-p16_linear-probe_16xb1024-lars-90e_in1k.py':
    _lin('large'),
    'vit-small-p16_attentive-probe_8xb1024-sgd-90e_in1k.py':
    _att('cae-small', (64.8, )),
    # arXiv Table 1 (300, 800 epochs) and Table 2 (full, no alignment, neither)
    IN1K_ATT_B: _att('base', (70.7, 72.6, 73.7, 73.7, 76.0)),
    'vit-large-p16_attentive-probe_8xb1024-sgd-90e_in1k.py':
    _att('large'),
    'vit-small-p16_finetune_32xb128-amp-200e_in1k.py':
    _ft('cae-small', 1.6e-2, 200, 0.75, (81.8, )),
    'vit-base-p16_finetune_32xb128-amp-100e_in1k.py':
    _ft('base', 8e-3, 100, 0.65, (83.3, 83.6)),
    'vit-large-p16_finetune_32xb128-amp-50e_in1k.py':
    _ft('large', 2e-3, 50, 0.75),
    # CAE IJCV Table 4: the ImageNet ViT-B recipe, lr per sample kept
    'vit-base-p16_finetune_8xb64-amp-100e_food101.py':
    _transfer('Food101', 101, 8e-3, 4096, 100,
              data_root='data/food-101', splits=('train', 'test')),
    'vit-base-p16_finetune_8xb64-amp-100e_clipart.py':
    _transfer('CustomDataset', 205, 8e-3, 4096, 100,
              data_root='data/cmplaces/clipart',
              ann_files=CUSTOM),
    'vit-base-p16_finetune_8xb64-amp-100e_sketch.py':
    _transfer('CustomDataset', 205, 8e-3, 4096, 100,
              data_root='data/cmplaces/sketch',
              ann_files=CUSTOM),
    # ccMIM Table 4: "360 epochs with the learning rate 3e-4" (batch: ours)
    'vit-base-p16_finetune_8xb128-amp-360e_inat2018.py':
    _transfer('CustomDataset', 8142, 3e-4, 1024, 360, data_root='data/inat2018', ann_files=CUSTOM),
    'vit-base-p16_finetune_8xb128-amp-360e_inat2019.py':
    _transfer('CustomDataset', 1010, 3e-4, 1024, 360, data_root='data/inat2019', ann_files=CUSTOM),
    # ccMIM Table 4, settings not stated: the ImageNet ViT-B lr per sample
    'vit-base-p16_finetune_8xb16-amp-300e_flowers102.py':
    _transfer('Flowers102', 102, 8e-3, 4096, 300,
              data_root='data/flowers102',
              splits=('trainval', 'test')),
    # arXiv Table 1, DeiT rows (ATT column): mmpretrain's DeiT recipes
    'deit-small-p16_4xb256-300e_in1k_supervised-reference.py':
    _row('deit', 'deit-small', 'AdamW', 5e-4, 512, 300, 20, (),
         drop_path=0.),
    'deit-base-p16_16xb64-300e_in1k_supervised-reference.py':
    _row('deit', 'deit-base', 'AdamW', 5e-4, 512, 300, 20, (),
         drop_path=0.1),
    # demo: the protocols shrunk, lrs documented in each config (ours)
    'vit-tiny-p8_linear-probe_1xb64-lars-20e_demo-in1k.py':
    _demo('lin', 'LARS', 6.4),
    'vit-tiny-p8_attentive-probe_1xb64-sgd-20e_demo-in1k.py':
    _demo('att', 'SGD', 0.1),
    'vit-tiny-p8_finetune_1xb64-20e_demo-in1k.py':
    _demo('ft', 'AdamW', 1e-3),
}


def load(name: str) -> Config:
    return Config.fromfile(osp.join(BENCH_DIR, name))


def depth_of(backbone) -> int:
    arch = backbone.arch
    return DEPTH[arch] if isinstance(arch, str) else arch['num_layers']


def width_of(backbone) -> int:
    arch = backbone.arch
    return WIDTH[arch] if isinstance(arch, str) else arch['embed_dims']


def pipeline_types(loader) -> list:
    return [t['type'] for t in loader.dataset.pipeline]


def test_glob_finds_every_config():
    assert len(CONFIGS) == NUM_CONFIGS, CONFIGS
    assert set(CONFIGS) == set(EXPECTED), set(CONFIGS) ^ set(EXPECTED)


@pytest.mark.parametrize('name', CONFIGS)
def test_schedule(name):
    """Optimizer, lr at the file name's total batch, epochs, warmup."""
    row, cfg = EXPECTED[name], load(name)
    gpus, per_gpu = map(int, re.search(r'_(\d+)xb(\d+)-', name).groups())
    assert cfg.train_dataloader.batch_size == per_gpu
    if row['protocol'] != 'deit':  # mmpretrain's DeiT keeps the last one
        assert cfg.train_dataloader.drop_last
    total = gpus * per_gpu
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == row['optim']
    # --auto-scale-lr: lr x total / base_batch_size, the rate at ``total``
    lr = optimizer.lr * total / cfg.auto_scale_lr.base_batch_size
    expected_lr = row['lr'] * total / row['batch']
    assert math.isclose(lr, expected_lr, rel_tol=1e-9), (lr, expected_lr)
    assert optimizer.weight_decay == row['weight_decay']
    if row['optim'] in ('LARS', 'SGD'):
        assert optimizer.momentum == 0.9
    else:
        assert tuple(optimizer.betas) == (0.9, 0.999)

    epochs, warmup = row['epochs'], row['warmup']
    assert f'-{epochs}e' in name
    assert cfg.train_cfg.max_epochs == epochs
    linear, cosine = cfg.param_scheduler
    assert (linear.type, linear.by_epoch, linear.end) == ('LinearLR', True,
                                                          warmup)
    assert linear.get('begin', 0) == 0 and linear.convert_to_iter_based
    assert (cosine.type, cosine.begin) == ('CosineAnnealingLR', warmup)
    if row['protocol'] != 'deit':  # mmpretrain's DeiT: open-ended cosine
        assert cosine.end == epochs and cosine.T_max == epochs - warmup


@pytest.mark.parametrize('name', CONFIGS)
def test_model_and_data(name):
    """The protocol's model, augmentations and dataset."""
    row, cfg = EXPECTED[name], load(name)
    model, backbone = cfg.model, cfg.model.backbone
    protocol = row['protocol']
    train_types = pipeline_types(cfg.train_dataloader)
    if protocol == 'deit':
        assert backbone.type == 'VisionTransformer'
        assert backbone.arch == row['arch']
    else:
        assert backbone.type == 'mmcae.ViT'
        # fine-tuning starts as the official CAE script: the file's final
        # norm becomes the pooled norm (run_class_finetuning.py 346-351)
        start = dict(norm_to_fc_norm=True) if protocol == 'ft' else {}
        assert backbone.init_cfg == dict(
            type='Pretrained', checkpoint=row['checkpoint'], **start)
        if isinstance(row['arch'], str) and row['arch'] != 'tiny':
            assert backbone.arch == row['arch']
    if protocol in ('lin', 'att'):
        depth = depth_of(backbone)
        assert backbone.frozen_stages == depth
        assert backbone.drop_path_rate == 0.
        assert cfg.optim_wrapper.constructor == \
            'mmcae.ProbeOptimWrapperConstructor'
        assert cfg.optim_wrapper.paramwise_cfg == dict(
            frozen_prefix='backbone')
        assert 'train_cfg' not in model  # no mixup / cutmix
        assert train_types == [
            'LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip',
            'PackInputs'
        ]
        assert model.head.in_channels == width_of(backbone)
    if protocol == 'lin':
        assert (backbone.out_type, backbone.final_norm) == ('cls_token',
                                                            True)
        assert model.neck.type == 'ClsBatchNormNeck'
        assert model.neck.get('affine', False) is False
        assert model.neck.input_features == width_of(backbone)
        assert model.head.type == 'LinearClsHead'
    if protocol == 'att':
        assert (backbone.out_type, backbone.final_norm) == ('raw', True)
        assert model.neck is None
        assert model.head.type == 'mmcae.AttentiveProbeHead'
        # the encoder's heads (official modeling_finetune.py line 370)
        assert model.head.in_channels // model.head.num_heads == \
            HEAD_DIMS[row['arch']]
    if protocol in ('ft', 'deit'):
        augments = model.train_cfg.augments
        assert [(a.type, a.alpha) for a in augments] == [('Mixup', 0.8),
                                                         ('CutMix', 1.0)]
        assert model.head.loss == dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')
        assert 'RandAugment' in train_types
        [erasing] = [t for t in cfg.train_dataloader.dataset.pipeline
                     if t['type'] == 'RandomErasing']
        assert erasing['erase_prob'] == 0.25
        assert backbone.get('drop_path_rate', 0.) == row['drop_path']
    if protocol == 'ft':
        assert (backbone.out_type, backbone.final_norm) == ('avg_featmap',
                                                            False)
        assert backbone.use_rel_pos_bias
        assert cfg.optim_wrapper.constructor == \
            'mmcae.LayerDecayOptimWrapperConstructor'
        assert cfg.optim_wrapper.paramwise_cfg == dict(
            layer_decay_rate=row['decay'])
        assert model.head.in_channels == width_of(backbone)

    # dataset, classes, evaluators
    assert model.head.num_classes == row['num_classes']
    assert cfg.data_preprocessor.num_classes == row['num_classes']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.type == row['dataset'], loader
        if 'data_root' in row:
            assert cfg[loader].dataset.data_root == row['data_root']
    assert cfg.test_dataloader == cfg.val_dataloader
    topk = (1, ) if row['arch'] == 'tiny' else (1, 5)
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        evaluator = dict(evaluator)
        evaluator.pop('_scope_', None)  # mmpretrain:: bases add their scope
        assert evaluator == dict(type='Accuracy', topk=topk)
    if 'splits' in row:
        assert (cfg.train_dataloader.dataset.split,
                cfg.val_dataloader.dataset.split) == row['splits']
    if 'ann_files' in row:
        for split, loader in (('train', cfg.train_dataloader),
                              ('val', cfg.val_dataloader)):
            assert loader.dataset.ann_file == row['ann_files'][split]
            assert loader.dataset.data_prefix == ''
            assert 'split' not in loader.dataset


@pytest.mark.parametrize('name', CONFIGS)
def test_metafile_numbers(name):
    """The paper top-1s of the config are its metafile entries' (one per
    encoder), each naming the encoder checkpoint it loads."""
    entries = [
        entry for entry in load_model_index().values()
        if entry['Config'] == f'configs/cae/benchmarks/{name}'
    ]
    top1 = sorted(result['Metrics']['accuracy/top1'] for entry in entries
                  for result in entry['Results'])
    assert top1 == sorted(EXPECTED[name]['paper'])
    for entry in entries:
        assert entry['Metadata']['Encoder Checkpoint'].startswith(
            'weights/cae')


def _build(cfg: Config):
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import mmcae  # noqa: F401
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg.model)


def _shrink_large(cfg: Config) -> Config:
    """ViT-L at its real depth (24 blocks), 32 channels wide."""
    model = cfg.model
    model.backbone.arch = dict(
        embed_dims=32, num_layers=24, num_heads=2, mlp_hidden_dims=64)
    model.head.in_channels = 32
    if model.head.type == 'mmcae.AttentiveProbeHead':
        model.head.num_heads = 2
    if model.get('neck'):
        model.neck.input_features = 32
    return cfg


BUILT = [n for n in CONFIGS if n.endswith('_in1k.py') and 'deit' not in n]


@pytest.mark.parametrize('name', BUILT)
def test_in1k_model_builds(name, mmpretrain_scope):
    """The ImageNet paper configs' models (ViT-S/B full size, ViT-L at
    its depth but 32 wide): the probes' encoder has no trainable parameter
    and all its blocks stay in eval mode after ``model.train()``, their
    optimizer holds the head only; fine-tuning trains the whole encoder."""
    from mmengine.optim import build_optim_wrapper
    row, cfg = EXPECTED[name], load(name)
    if row['arch'] == 'large':
        cfg = _shrink_large(cfg)
    model = _build(cfg)
    model.train()
    backbone = model.backbone
    assert len(backbone.blocks) == DEPTH[row['arch']]
    width = 32 if row['arch'] == 'large' else WIDTH[row['arch']]
    assert backbone.blocks[0].gamma_1.shape == (width, )
    if row['protocol'] == 'ft':
        assert all(p.requires_grad for n, p in backbone.named_parameters()
                   if n != 'pos_embed')
        assert all(m.training for m in backbone.modules())
        assert model.head.fc.out_features == 1000
        return
    assert not any(p.requires_grad for p in backbone.parameters())
    assert not any(m.training for block in backbone.blocks
                   for m in block.modules())
    assert not backbone.norm.training
    assert model.head.training
    if row['protocol'] == 'lin':
        assert not model.neck.bn.affine
    cfg.optim_wrapper.type = 'OptimWrapper'  # fp32 here
    cfg.optim_wrapper.pop('loss_scale')
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    optimized = {id(p) for group in optim_wrapper.optimizer.param_groups
                 for p in group['params']}
    head = {id(p) for p in model.head.parameters()}
    assert optimized == head and head


def _write_images(root: str, paths) -> None:
    rng = np.random.default_rng(0)
    for path in paths:
        os.makedirs(osp.dirname(osp.join(root, path)), exist_ok=True)
        pixels = rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(osp.join(root, path))


def _check_dataset(name: str, data_root: str, expected: dict) -> None:
    """Build the config's train and val datasets (data_root replaced) as
    its runner would; ``expected``: split -> {image path: label}."""
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS
    cfg = load(name)
    for split, loader in (('train', cfg.train_dataloader),
                          ('val', cfg.val_dataloader)):
        dataset_cfg = loader.dataset
        dataset_cfg.data_root = data_root
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            dataset = DATASETS.build(dataset_cfg)
            labels = {
                osp.relpath(info['img_path'], data_root):
                int(info['gt_label'])
                for info in (dataset.get_data_info(i)
                             for i in range(len(dataset)))
            }
            assert labels == expected[split]
            sample = dataset[0]  # the whole pipeline, RandAugment included
        assert tuple(sample['inputs'].shape) == (3, 224, 224)


@pytest.mark.parametrize('modality', ['clipart', 'sketch'])
def test_cmplaces_layout(tmp_path, modality):
    """The annotation-file layout of the CMPlaces configs: paths
    relative to data_root (a space in one), the label last."""
    expected = dict(
        train={'abbey/0001.jpg': 0, 'zoo/my photo 2.jpg': 204},
        val={'abbey/0009.jpg': 0})
    root = str(tmp_path)
    os.makedirs(osp.join(root, 'meta'))
    for split, labels in expected.items():
        _write_images(root, labels)
        with open(osp.join(root, 'meta', f'{split}.txt'), 'w') as f:
            f.writelines(f'{path} {label}\n'
                         for path, label in labels.items())
    _check_dataset(f'vit-base-p16_finetune_8xb64-amp-100e_{modality}.py',
                   root, expected)


def _conversion_commands(year: int) -> str:
    """The shell block of the iNaturalist JSON conversion in
    configs/cae/README.md ("Recipe notes"), for ``year``."""
    with open(osp.join(REPO_ROOT, 'configs', 'cae', 'README.md')) as f:
        readme = f.read()
    block = readme.split('  ```shell\n  YEAR=')[1].split('  ```')[0]
    lines = ('YEAR=' + block).splitlines()
    assert all(line.startswith('  ') for line in lines[1:]), lines
    lines = [f'YEAR={year}'] + [line[2:] for line in lines[1:]]
    return '\n'.join(lines)


@pytest.mark.parametrize('year', [2018, 2019])
def test_inat_conversion_and_layout(tmp_path, year):
    """The README's iNaturalist conversion, run as written on a
    miniature of the official files (category ids not contiguous), gives
    the "PATH LABEL" files the config reads: labels are the ranks of the
    sorted category ids, the same for both splits."""
    root = tmp_path / 'data' / f'inat{year}'
    root.mkdir(parents=True)
    categories = [dict(id=i, name=f'species {i}') for i in (7, 3, 12)]
    images = {
        'train': {1: ('Plantae/7/a.jpg', 7), 2: ('Aves/3/b.jpg', 3),
                  3: ('Aves/12/c.jpg', 12)},
        'val': {10: ('Plantae/7/d.jpg', 7), 11: ('Aves/12/e.jpg', 12)},
    }
    rank = {7: 1, 3: 0, 12: 2}
    expected = {}
    for split, entries in images.items():
        files = {i: f'train_val{year}/{path}'
                 for i, (path, _) in entries.items()}
        _write_images(str(root), files.values())
        with open(root / f'{split}{year}.json', 'w') as f:
            json.dump(dict(
                images=[dict(id=i, file_name=files[i], width=48, height=40)
                        for i in entries],
                annotations=[dict(id=100 + i, image_id=i, category_id=c)
                             for i, (_, c) in entries.items()],
                categories=categories), f)
        expected[split] = {files[i]: rank[c] for i, (_, c) in entries.items()}
    env = dict(os.environ)
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    commands = _conversion_commands(year)
    result = subprocess.run(['bash', '-c', commands], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    _check_dataset(f'vit-base-p16_finetune_8xb128-amp-360e_inat{year}.py',
                   str(root), expected)


def test_readme_lists_every_config():
    """configs/cae/README.md's evaluation section has a row for every
    config and the commands it documents."""
    with open(osp.join(REPO_ROOT, 'configs', 'cae', 'README.md')) as f:
        readme = f.read()
    section = readme.split('## Evaluation')[1].split('\n## ')[0]
    rows = re.findall(r'^\| `([^`]+\.py)`', section, flags=re.M)
    assert all(row.startswith('benchmarks/') for row in rows), rows
    listed = {osp.basename(row) for row in rows}
    assert listed == set(CONFIGS), listed ^ set(CONFIGS)
    for text in ('--auto-scale-lr', 'model.backbone.init_cfg.checkpoint=',
                 'tools/misc/make_demo_data.py --out data/demo --size medium',
                 'configs/cae/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py',
                 'tools/benchmark/pretrained_vs_random.py classification',
                 'mmcae.ProbeOptimWrapperConstructor'):
        assert text in section, text
