"""The detection configs (configs/cae/*mask-rcnn*.py) and their bases
(configs/_base_/models/*mask-rcnn_vit-*.py,
schedules/vit-det_adamw-layer-decay-amp_1x.py,
datasets/coco_instance_ms-crop.py).

Every config parses and resolves to the papers' recipe (a table below, one
row per config: a new config without a row fails), with the paper numbers of
its metafile entries (configs/cae/metafile.yml); each model base builds,
shrunk, and computes finite losses through its own data preprocessor; the
optimizer built from a ViT-B config at full size (and a ViT-L config at full
depth) gives every parameter the lr scale of the layer-decay formula; the
tiny demo config trains with tools/train.py on generated demo data and
reports mmdet's CocoMetric for boxes and masks.
"""
import copy
import functools
import glob
import json
import math
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcae.datasets.demo import CLASS_NAMES, make_demo_data

from mmcae.utils.model_zoo import load_model_index as _load_model_index
from tests.helpers import REPO_ROOT, run_python_tool


@functools.lru_cache(maxsize=None)
def load_model_index():
    """configs/*/metafile.yml, read once per module."""
    return _load_model_index()


CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'cae')
MODEL_DIR = osp.join(REPO_ROOT, 'configs', '_base_', 'models')
CONFIGS = sorted(
    osp.basename(path)
    for path in glob.glob(osp.join(CONFIG_DIR, '*mask-rcnn*.py')))
DEMO = 'mask-rcnn_vit-tiny-p8_1xb4-12e_demo-coco.py'
DEMO_PRETRAINED = 'mask-rcnn_cae-demo-vit-tiny-p8_1xb4-12e_demo-coco.py'

#: the config's arch of each size: the official CAE ViT-S has 12 heads
#: (Atten4Vis/CAE models/modeling_finetune.py line 488), mmcae's 'cae-small'
CONFIG_ARCH = {'small': 'cae-small', 'base': 'base', 'large': 'large'}
#: arch -> embed dims, blocks, block outputs, layer-scale init
ARCHS = {
    'small': (384, 12, (3, 5, 7, 11), 0.1),
    'base': (768, 12, (3, 5, 7, 11), 0.1),
    'large': (1024, 24, (7, 11, 15, 23), 1e-5),
}
#: short sides 480, 512, ..., 800 with the long side at most 1333
MULTI_SCALE = [(1333, short) for short in range(480, 801, 32)]


def _row(paper, arch, checkpoint, detector='MaskRCNN', lr=3e-4, decay=0.75,
         drop_path=None, head='2fc', crop=False, expected=()):
    """The recipe a paper config must resolve to (papers' App. A / Training
    Details: lr 3e-4 and decay 0.75 for S and B, 2e-4 and 0.8 for L; drop
    path 0.1 / 0.2 / 0.2); ``expected``: (box AP, mask AP) pairs of its
    metafile entries, None where the paper's cell is not in our copy."""
    if drop_path is None:
        drop_path = {'small': 0.1, 'base': 0.2, 'large': 0.2}[arch]
    return dict(paper=paper, arch=arch, checkpoint='weights/' + checkpoint,
                detector=detector, lr=lr, decay=decay, drop_path=drop_path,
                head=head, crop=crop, expected=expected)


IJCV3, IJCV6 = 'IJCV 2023 Table 3', 'IJCV 2023 Table 6'
ARXIV4, ARXIV5 = 'arXiv 2022 Table 4', 'arXiv 2022 Table 5'
CASCADE = 'CascadeRCNN'
PAPER_ROWS = {
    'mask-rcnn_cae-vit-small-p16-300e_8xb4-amp-1x_coco.py':
    _row(IJCV3, 'small', 'cae_vit-small-p16_300e.pth'),
    'mask-rcnn_cae-vit-base-p16-300e_8xb4-amp-1x_coco.py':
    _row(IJCV3, 'base', 'cae_vit-base-p16_300e.pth'),
    'mask-rcnn_cae-vit-base-p16-800e_8xb4-amp-1x_coco.py':
    _row(IJCV3, 'base', 'cae_vit-base-p16_800e.pth'),
    'mask-rcnn_cae-vit-base-p16-1600e_8xb4-amp-1x_coco.py':
    _row(IJCV3, 'base', 'cae_vit-base-p16_1600e.pth',
         expected=[(50.0, None)]),
    'mask-rcnn_cae-vit-large-p16-1600e_8xb4-amp-1x_coco.py':
    _row(IJCV3, 'large', 'cae_vit-large-p16_1600e.pth', lr=2e-4,
         decay=0.8, expected=[(54.6, None)]),
    'mask-rcnn_cae-arxiv-vit-small-p16-300e_8xb4-amp-1x_coco.py':
    _row(ARXIV4, 'small', 'cae-arxiv_vit-small-p16_300e.pth',
         expected=[(43.8, 39.0)]),
    'mask-rcnn_cae-arxiv-vit-base-p16-300e_8xb4-amp-1x_coco.py':
    # + arXiv Table 2 (full model; no alignment; neither decoder nor it)
    _row(ARXIV4, 'base', 'cae-arxiv_vit-base-p16_300e.pth',
         expected=[(48.0, 42.3), (48.0, None), (45.7, None), (45.6, None)]),
    'mask-rcnn_cae-arxiv-vit-base-p16-800e_8xb4-amp-1x_coco.py':
    _row(ARXIV4, 'base', 'cae-arxiv_vit-base-p16_800e.pth',
         expected=[(49.2, 43.3)]),
    'cascade-mask-rcnn_cae-arxiv-vit-base-p16-300e_8xb4-amp-1x_coco.py':
    _row(ARXIV5, 'base', 'cae-arxiv_vit-base-p16_300e.pth',
         detector=CASCADE, expected=[(51.0, 44.0)]),
    'cascade-mask-rcnn_cae-arxiv-vit-base-p16-800e_8xb4-amp-1x_coco.py':
    _row(ARXIV5, 'base', 'cae-arxiv_vit-base-p16_800e.pth',
         detector=CASCADE, expected=[(52.3, 45.0)]),
    'cascade-mask-rcnn_cae-vit-base-p16-1600e_8xb4-amp-1x_coco.py':
    _row(IJCV6, 'base', 'cae_vit-base-p16_1600e.pth', detector=CASCADE),
    # the official CAE code's recipe: 4conv1fc + GIoU head, DETR-style crop
    # augmentation; its ViT-L script uses layer decay 0.85
    'mask-rcnn_cae-vit-base-p16-300e-4conv1fc-giou_8xb4-amp-crop-1x_coco.py':
    _row(IJCV3, 'base', 'cae_vit-base-p16_300e.pth', head='4conv1fc-giou',
         crop=True),
    'mask-rcnn_cae-vit-large-p16-1600e-4conv1fc-giou_8xb4-amp-crop-1x_coco.py':
    _row(IJCV3, 'large', 'cae_vit-large-p16_1600e.pth', lr=2e-4,
         decay=0.85, head='4conv1fc-giou', crop=True),
    # DESIGN.md's short name for the ViT-B recipe
    'vitb_mask-rcnn_1x_coco.py':
    _row(IJCV3, 'base', 'cae_vit-base-p16_300e.pth'),
}
DEMO_CONFIGS = (DEMO, DEMO_PRETRAINED)


@functools.lru_cache(maxsize=None)
def _parse(path: str) -> Config:
    return Config.fromfile(path)


def load(name: str, folder: str = CONFIG_DIR) -> Config:
    """A fresh copy of a parsed config (parsing mmdet:: bases takes about a
    second, so each file is parsed once)."""
    return copy.deepcopy(_parse(osp.join(folder, name)))


def metafile_numbers(name: str) -> tuple:
    """The sorted box APs and mask APs of the config's metafile entries."""
    box, mask = [], []
    for entry in load_model_index().values():
        if entry['Config'] != f'configs/cae/{name}':
            continue
        for result in entry['Results']:
            metrics = result['Metrics']
            box += [metrics['coco/bbox_mAP']] if 'coco/bbox_mAP' in metrics \
                else []
            mask += [metrics['coco/segm_mAP']] if 'coco/segm_mAP' in metrics \
                else []
    return sorted(box), sorted(mask)


def test_every_config_has_a_row():
    assert set(CONFIGS) == set(PAPER_ROWS) | set(DEMO_CONFIGS)


@pytest.mark.parametrize('name', sorted(PAPER_ROWS))
def test_paper_numbers(name):
    row = PAPER_ROWS[name]
    cfg = load(name)
    expected = row['expected']
    assert metafile_numbers(name) == (
        sorted(box for box, _ in expected if box is not None),
        sorted(mask for _, mask in expected if mask is not None))
    assert cfg.default_scope == 'mmdet'
    assert cfg.model.type == row['detector']

    # backbone: the CAE encoder, no final norm, the size's block outputs
    embed_dims, depth, out_indices, layer_scale = ARCHS[row['arch']]
    backbone = cfg.model.backbone
    assert backbone.type == 'mmcae.ViT'
    assert (backbone.arch, backbone.patch_size) == (
        CONFIG_ARCH[row['arch']], 16)
    assert backbone.drop_path_rate == row['drop_path']
    assert tuple(backbone.out_indices) == out_indices
    assert backbone.layer_scale_init_value == layer_scale
    assert (backbone.qkv_bias, backbone.pos_embed, backbone.out_type) == \
        ('qv', 'sincos', 'featmap')
    assert backbone.final_norm is False
    assert backbone.use_rel_pos_bias is False
    assert backbone.init_cfg == dict(
        type='Pretrained', checkpoint=row['checkpoint'])
    pyramid, fpn = cfg.model.neck
    assert pyramid.type == 'mmcae.ViTPyramidNeck'
    assert (pyramid.in_channels, tuple(pyramid.scales)) == \
        (embed_dims, (4, 2, 1, 0.5))
    assert (fpn.type, fpn.in_channels, fpn.out_channels, fpn.num_outs) == \
        ('FPN', [embed_dims] * 4, 256, 5)

    # heads: mmdet's, 80 classes
    bbox_heads = cfg.model.roi_head.bbox_head
    if row['detector'] == CASCADE:
        assert cfg.model.roi_head.num_stages == 3
        assert len(bbox_heads) == 3
    else:
        bbox_heads = [bbox_heads]
    for bbox_head in bbox_heads:
        assert bbox_head.num_classes == 80
        if row['head'] == '4conv1fc-giou':
            assert bbox_head.type == 'Shared4Conv1FCBBoxHead'
            assert bbox_head.loss_bbox == dict(type='GIoULoss',
                                               loss_weight=10.0)
            assert bbox_head.reg_decoded_bbox is True
        else:
            assert bbox_head.type == 'Shared2FCBBoxHead'
    assert cfg.model.roi_head.mask_head.num_classes == 80

    # optimizer: AdamW, layer decay, AMP; batch 32 = 8 x 4
    optim = cfg.optim_wrapper
    assert optim.type == 'AmpOptimWrapper'
    assert optim.constructor == 'mmcae.LayerDecayOptimWrapperConstructor'
    assert optim.optimizer == dict(
        type='AdamW', lr=row['lr'], betas=(0.9, 0.999), weight_decay=0.05)
    assert optim.paramwise_cfg == dict(layer_decay_rate=row['decay'])
    assert cfg.train_dataloader.batch_size * 8 == 32
    assert cfg.auto_scale_lr.base_batch_size == 32

    # 1x: 12 epochs, x0.1 at 9 and 11, after 500 warmup iterations
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop'
    assert cfg.train_cfg.max_epochs == 12
    warmup, steps = cfg.param_scheduler
    assert (warmup.type, warmup.by_epoch, warmup.end) == \
        ('LinearLR', False, 500)
    assert (steps.type, steps.by_epoch, steps.milestones, steps.gamma) == \
        ('MultiStepLR', True, [9, 11], 0.1)

    # data: COCO, multi-scale 480-800 / 1333 (inside the crop choice for the
    # official recipe), single-scale test, box and mask metrics
    pipeline = cfg.train_dataloader.dataset.pipeline
    if row['crop']:
        (choice, ) = [t for t in pipeline if t.type == 'RandomChoice']
        plain, cropped = choice.transforms
        assert plain[0].scales == MULTI_SCALE
        assert [t.type for t in cropped] == [
            'RandomChoiceResize', 'RandomCrop', 'RandomChoiceResize'
        ]
        assert cropped[1].crop_size == (384, 600)
        assert cropped[2].scales == MULTI_SCALE
    else:
        (resize, ) = [t for t in pipeline if t.type == 'RandomChoiceResize']
        assert resize.scales == MULTI_SCALE and resize.keep_ratio
    (test_resize, ) = [
        t for t in cfg.val_dataloader.dataset.pipeline if t.type == 'Resize'
    ]
    assert test_resize.scale == (1333, 800)
    assert cfg.train_dataloader.dataset.type == 'CocoDataset'
    assert cfg.val_evaluator.type == 'CocoMetric'
    assert cfg.val_evaluator.metric == ['bbox', 'segm']


def test_short_name_is_the_ijcv_vitb_config():
    ours = load('vitb_mask-rcnn_1x_coco.py').to_dict()
    target = load(
        'mask-rcnn_cae-vit-base-p16-300e_8xb4-amp-1x_coco.py').to_dict()
    assert ours == target


def test_bases_share_the_backbone_and_heads():
    mask_rcnn = load('mask-rcnn_vit-base-p16_fpn.py', MODEL_DIR).model
    cascade = load('cascade-mask-rcnn_vit-base-p16_fpn.py', MODEL_DIR).model
    assert cascade.backbone == mask_rcnn.backbone
    assert cascade.neck == mask_rcnn.neck
    # the ViT-L official-recipe config has the ViT-B GIoU head
    giou = load('mask-rcnn_vit-base-p16_fpn-4conv1fc-giou.py', MODEL_DIR)
    large = load('mask-rcnn_cae-vit-large-p16-1600e-4conv1fc-giou_'
                 '8xb4-amp-crop-1x_coco.py')
    assert large.model.roi_head.bbox_head == giou.model.roi_head.bbox_head
    assert giou.model.roi_head.bbox_head.norm_cfg.type == 'SyncBN'


# ---- building the models ----
@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one thread, as tests/helpers.py's run_cmd gives the
    tools (OpenMP barriers of two threads on a busy 2-core CPU cost more
    than they save)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TINY = dict(embed_dims=32, num_heads=2, mlp_hidden_dims=64)


#: head widths -> test widths (FPN / RoI channels 256 -> 16, fcs 1024 -> 32)
NARROW = {256: 16, 1024: 32}
WIDTH_KEYS = ('in_channels', 'out_channels', 'feat_channels',
              'conv_out_channels', 'fc_out_channels')


def _narrow(node) -> None:
    """Shrink every head / FPN width in a model config, in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in WIDTH_KEYS and isinstance(value, int):
                node[key] = NARROW.get(value, value)
            else:
                _narrow(value)
    elif isinstance(node, list):
        for item in node:
            _narrow(item)


def _shrink(cfg: Config, num_layers: int = 12):
    """The config's model with a 32-d ViT of the same depth (block outputs
    stay valid), narrow heads, random init, and few proposals and RoI
    samples."""
    model = cfg.model
    _narrow(model)
    model.backbone.arch = dict(TINY, num_layers=num_layers)
    model.backbone.init_cfg = None
    model.neck[0].in_channels = 32
    model.neck[1].in_channels = [32] * 4
    train_cfg = model.train_cfg
    train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=50)
    rcnn = train_cfg.rcnn
    for stage in rcnn if isinstance(rcnn, list) else [rcnn]:
        stage.sampler.num = 16
    return model


def _build(model_cfg):
    from mmdet.registry import MODELS
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(model_cfg)
    model.init_weights()
    return model


def _loss(model, num_classes: int = 80) -> dict:
    """One training forward on two random images with boxes and masks,
    through the model's data preprocessor."""
    from mmdet.testing import demo_mm_inputs
    torch.manual_seed(0)
    data = demo_mm_inputs(
        batch_size=2,
        image_shapes=[(3, 64, 96), (3, 80, 64)],
        num_items=[3, 2],
        num_classes=num_classes,
        with_mask=True)
    with DefaultScope.overwrite_default_scope('mmdet'):
        data = model.data_preprocessor(data, training=True)
        return model(**data, mode='loss')


def _total(losses: dict) -> torch.Tensor:
    total = 0.
    for name, value in losses.items():
        if 'loss' not in name:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            assert torch.isfinite(item).all(), name
            total = total + item.sum()
    return total


# mask-rcnn_vit-base-p16_fpn.py (mmdet's default heads) is built at full
# size below and trained through the demo config
@pytest.mark.parametrize('base,detector,head', [
    ('mask-rcnn_vit-base-p16_fpn-4conv1fc-giou.py', 'MaskRCNN',
     'Shared4Conv1FCBBoxHead'),
    ('cascade-mask-rcnn_vit-base-p16_fpn-4conv1fc-giou.py', 'CascadeRCNN',
     'Shared4Conv1FCBBoxHead'),
])
def test_model_bases_build_and_train(base, detector, head):
    from mmdet.models.losses import GIoULoss
    model = _build(_shrink(load(base, MODEL_DIR)))
    assert type(model).__name__ == detector
    assert type(model.backbone).__name__ == 'ViT'
    bbox_heads = model.roi_head.bbox_head
    if detector == 'CascadeRCNN':
        assert len(bbox_heads) == 3
    else:
        bbox_heads = [bbox_heads]
    for bbox_head in bbox_heads:
        assert type(bbox_head).__name__ == head
        if head == 'Shared4Conv1FCBBoxHead':
            assert isinstance(bbox_head.loss_bbox, GIoULoss)
            assert bbox_head.reg_decoded_bbox
            assert len(bbox_head.shared_convs) == 4
            assert len(bbox_head.shared_fcs) == 1

    # the pyramid: strides 4, 8, 16, 32 (+ FPN's 64) from stride 16
    feats = model.extract_feat(torch.zeros(1, 3, 64, 96))
    assert [tuple(f.shape[-2:]) for f in feats] == \
        [(16, 24), (8, 12), (4, 6), (2, 3), (1, 2)]

    model.train()
    losses = _loss(model)
    assert {'loss_rpn_cls', 'loss_rpn_bbox'} <= set(losses)
    stages = ['s0.', 's1.', 's2.'] if detector == 'CascadeRCNN' else ['']
    for stage in stages:
        for key in ('loss_cls', 'loss_bbox', 'loss_mask'):
            assert stage + key in losses, sorted(losses)
    total = _total(losses)
    total.backward()
    grad = model.backbone.blocks[0].attn.qkv.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def _optimizer_groups(cfg: Config, model) -> list:
    """Param groups built by the config's own constructor (AMP replaced by
    the plain fp32 wrapper: the groups do not depend on the precision)."""
    from mmengine.optim import build_optim_wrapper
    optim_cfg = cfg.optim_wrapper.to_dict()
    optim_cfg['type'] = 'OptimWrapper'  # as README's CPU command line
    with DefaultScope.overwrite_default_scope('mmdet'):
        wrapper = build_optim_wrapper(model, optim_cfg)
    return wrapper.optimizer.param_groups


def _expected_layer_id(name: str, num_layers: int) -> int:
    """The MAE / BEiT layer ids, written out independently of the
    backbone's get_layer_depth."""
    match = re.match(r'backbone\.blocks\.(\d+)\.', name)
    if match:
        return int(match.group(1)) + 1
    if name.startswith(('backbone.patch_embed.', 'backbone.cls_token')):
        return 0
    return num_layers + 1


def _check_layer_decay(cfg: Config, model, num_layers: int, rate: float,
                       base_lr: float) -> None:
    groups = _optimizer_groups(cfg, model)
    names = {id(p): n for n, p in model.named_parameters()}
    seen = set()
    for group in groups:
        for param in group['params']:
            name = names[id(param)]
            assert id(param) not in seen, name
            seen.add(id(param))
            layer_id = _expected_layer_id(name, num_layers)
            assert group['layer_id'] == layer_id, name
            scale = rate**(num_layers + 1 - layer_id)
            assert math.isclose(group['lr_scale'], scale), name
            assert math.isclose(group['lr'], base_lr * scale), name
            no_decay = param.ndim <= 1 or name.endswith('cls_token')
            assert group['weight_decay'] == (0. if no_decay else 0.05), name
    trainable = {
        id(p)
        for p in model.parameters() if p.requires_grad
    }
    assert seen == trainable
    # the fixed sin-cos table is frozen, hence in no group
    assert not model.backbone.pos_embed.requires_grad
    ids = {group['layer_id'] for group in groups}
    assert ids == set(range(num_layers + 2))


def test_layer_decay_groups_vit_base_full_size():
    """ViT-B at full size from the ViT-B recipe: 14 layer ids, lr scale
    0.75 ** (13 - id); heads, necks and rel-pos-free blocks as expected."""
    cfg = load('vitb_mask-rcnn_1x_coco.py')
    cfg.model.backbone.init_cfg = None
    model = _build(cfg.model)
    assert model.backbone.embed_dims == 768
    assert model.backbone.num_layers == 12
    # stochastic depth rising linearly to 0.2 in the last block
    assert model.backbone.blocks[-1].drop_path.drop_prob == \
        pytest.approx(0.2)
    _check_layer_decay(cfg, model, 12, 0.75, 3e-4)


def test_layer_decay_groups_vit_large_depth():
    """ViT-L's 24 blocks (narrowed to 32-d): 26 layer ids, rate 0.8, lr
    2e-4."""
    cfg = load('mask-rcnn_cae-vit-large-p16-1600e_8xb4-amp-1x_coco.py')
    model = _build(_shrink(cfg, num_layers=24))
    assert len(model.backbone.blocks) == 24
    _check_layer_decay(cfg, model, 24, 0.8, 2e-4)


def test_demo_pretrained_config_loads_an_encoder(tmp_path):
    """The pretrained demo config takes an encoder checkpoint (here an
    mmcae ViT state dict) through model.backbone.init_cfg.checkpoint."""
    cfg = load(DEMO)
    source = _build(cfg.model).backbone
    with torch.no_grad():
        for param in source.parameters():
            param.add_(0.5)
    path = str(tmp_path / 'encoder.pth')
    torch.save({'state_dict': source.state_dict()}, path)

    cfg = load(DEMO_PRETRAINED)
    assert cfg.model.backbone.init_cfg == dict(
        type='Pretrained', checkpoint='weights/cae_vit-tiny-p8_demo.pth')
    cfg.merge_from_dict({'model.backbone.init_cfg.checkpoint': path})
    loaded = _build(cfg.model).backbone
    for (name, ours), theirs in zip(loaded.state_dict().items(),
                                    source.state_dict().values()):
        assert torch.equal(ours, theirs), name


# ---- training the demo config with tools/train.py ----
def _scalars(work_dir: str) -> list:
    (path, ) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope='module')
def demo_coco(tmp_path_factory) -> str:
    """The 'small' demo COCO set (16 train, 8 val scenes of 128 px)."""
    root = tmp_path_factory.mktemp('demo')
    make_demo_data(str(root), seed=0, size='small')
    return str(root / 'coco') + '/'


@pytest.mark.parametrize('name', [
    'mask-rcnn_cae-vit-base-p16-300e_8xb4-amp-1x_coco.py',
    'mask-rcnn_cae-vit-base-p16-300e-4conv1fc-giou_8xb4-amp-crop-1x_coco.py'
])
def test_paper_train_pipelines_run(name, demo_coco):
    """The COCO pipelines of the paper configs (multi-scale; the official
    recipe's multi-scale or crop choice) on demo images: short side 480-800,
    long side <= 1333, masks kept with the boxes."""
    from mmdet.registry import DATASETS
    cfg = load(name)
    dataset_cfg = cfg.train_dataloader.dataset
    dataset_cfg.update(data_root=demo_coco, metainfo=dict(classes=CLASS_NAMES))
    with DefaultScope.overwrite_default_scope('mmdet'):
        dataset = DATASETS.build(dataset_cfg)
        for index in range(6):
            sample = dataset[index % len(dataset)]
            height, width = sample['inputs'].shape[-2:]
            assert max(height, width) <= 1333
            assert 480 <= min(height, width) <= 800
            instances = sample['data_samples'].gt_instances
            assert len(instances.masks) == len(instances.bboxes)


def test_demo_config_trains_and_evaluates(tmp_path, demo_coco):
    cfg = load(DEMO)
    assert cfg.model.roi_head.bbox_head.num_classes == len(CLASS_NAMES)
    assert cfg.model.roi_head.mask_head.num_classes == len(CLASS_NAMES)
    assert cfg.optim_wrapper.constructor == \
        'mmcae.LayerDecayOptimWrapperConstructor'

    data_root = demo_coco
    work_dir = str(tmp_path / 'work')
    epochs = 3  # 16 images / batch 4 = 4 iterations per epoch
    result = run_python_tool(
        'tools/train.py', f'configs/cae/{DEMO}', '--work-dir', work_dir,
        '--cfg-options', f'train_dataloader.dataset.data_root={data_root}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'val_evaluator.ann_file={data_root}'
        'annotations/instances_val2017.json',
        # the 128-px scenes at their own size (the config upscales them)
        'train_dataloader.dataset.pipeline.2.scales=[(213,128)]',
        'val_dataloader.dataset.pipeline.1.scale=(213,128)',
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
        'default_hooks.logger.interval=1', 'log_processor.window_size=1',
        f'default_hooks.checkpoint.interval={epochs}')
    assert result.returncode == 0, result.stderr[-4000:]
    log = result.stdout + result.stderr
    assert 'Layer-wise lr decay: rate 0.75' in log

    records = _scalars(work_dir)
    losses = [r['loss'] for r in records if 'loss' in r]
    assert len(losses) == epochs * 4
    assert all(math.isfinite(loss) for loss in losses)
    # training reduced the loss: the last iterations against the first
    assert sum(losses[-3:]) / 3 < 0.85 * sum(losses[:3]) / 3, losses

    (metrics, ) = [r for r in records if 'coco/bbox_mAP' in r]
    for task in ('bbox', 'segm'):
        for key in ('mAP', 'mAP_50', 'mAP_75'):
            value = metrics[f'coco/{task}_{key}']
            assert math.isfinite(value) and 0. <= value <= 1., (key, value)
    assert osp.isfile(osp.join(work_dir, f'epoch_{epochs}.pth'))
