"""LayerDecayOptimWrapperConstructor: every parameter's lr and weight decay
against a table written here, in mmpretrain, mmseg and mmdet models."""
import re
from typing import List, Optional, Tuple

import pytest
import torch
from mmengine.optim import LinearLR, build_optim_wrapper
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope
from torch import nn

from mmcae.engine.optimizers import (LayerDecayOptimWrapperConstructor,
                                     layer_decay_constructor)
from mmcae.models import ViT
from mmcae.registry import OPTIM_WRAPPER_CONSTRUCTORS

BASE_LR = 1e-3
BASE_WD = 0.05
RATE = 0.65
NUM_BLOCKS = 2
TOP_ID = NUM_BLOCKS + 1  # final norm, heads, necks
#: lr per layer id, written out: 1e-3 * 0.65 ** (3 - id)
LITERAL_LR = {0: 1e-3 * 0.274625, 1: 1e-3 * 0.4225, 2: 1e-3 * 0.65,
              3: 1e-3}

TINY_VIT = dict(
    type='mmcae.ViT',
    arch=dict(embed_dims=32, num_layers=NUM_BLOCKS, num_heads=2,
              mlp_hidden_dims=64),
    img_size=32,
    patch_size=8,
    qkv_bias='qv',
    layer_scale_init_value=0.1,
    use_rel_pos_bias=True)

OPTIM_CFG = dict(
    constructor='mmcae.LayerDecayOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=BASE_LR, weight_decay=BASE_WD),
    paramwise_cfg=dict(layer_decay_rate=RATE))

BLOCK = 'block'  # layer id = block index + 1
#: (pattern of the name inside the backbone, layer id, weight decayed)
BACKBONE_TABLE = [
    (r'cls_token', 0, False),
    (r'pos_embed', 0, False),
    (r'patch_embed\.proj\.weight', 0, True),
    (r'patch_embed\.proj\.bias', 0, False),
    (r'blocks\.(\d+)\.gamma_[12]', BLOCK, False),
    (r'blocks\.(\d+)\.norm[12]\.(weight|bias)', BLOCK, False),
    (r'blocks\.(\d+)\.attn\.[qv]_bias', BLOCK, False),
    (r'blocks\.(\d+)\.attn\.qkv\.weight', BLOCK, True),
    (r'blocks\.(\d+)\.attn\.proj\.weight', BLOCK, True),
    (r'blocks\.(\d+)\.attn\.proj\.bias', BLOCK, False),
    (r'blocks\.(\d+)\.attn\.relative_position_bias\.table', BLOCK, False),
    (r'blocks\.(\d+)\.mlp\.fc[12]\.weight', BLOCK, True),
    (r'blocks\.(\d+)\.mlp\.fc[12]\.bias', BLOCK, False),
    (r'norm\.(weight|bias)', TOP_ID, False),
]
CLS_HEAD_TABLE = [
    (r'head\.fc\.weight', TOP_ID, True),
    (r'head\.fc\.bias', TOP_ID, False),
]
SEG_HEAD_TABLE = [
    (r'decode_head\.conv_seg\.weight', TOP_ID, True),
    (r'decode_head\.conv_seg\.bias', TOP_ID, False),
    (r'decode_head\.(convs\.\d+|conv_cat)\.conv\.weight', TOP_ID, True),
    (r'decode_head\.(convs\.\d+|conv_cat)\.bn\.(weight|bias)', TOP_ID,
     False),
]
DET_HEAD_TABLE = [
    (r'neck\.(lateral|fpn)_convs\.\d+\.conv\.weight', TOP_ID, True),
    (r'neck\.(lateral|fpn)_convs\.\d+\.conv\.bias', TOP_ID, False),
    (r'bbox_head\.(cls|reg)_convs\.\d+\.conv\.weight', TOP_ID, True),
    (r'bbox_head\.(cls|reg)_convs\.\d+\.gn\.(weight|bias)', TOP_ID, False),
    (r'bbox_head\.conv_(cls|reg|centerness)\.weight', TOP_ID, True),
    (r'bbox_head\.conv_(cls|reg|centerness)\.bias', TOP_ID, False),
    (r'bbox_head\.scales\.\d+\.scale', TOP_ID, False),  # 0-D
]


def _build_in_scope(scope: str, cfg: dict) -> nn.Module:
    with DefaultScope.overwrite_default_scope(scope):
        return ROOT_MODELS.build(cfg)


def _classifier() -> nn.Module:
    return _build_in_scope(
        'mmpretrain',
        dict(type='ImageClassifier', backbone=TINY_VIT,
             head=dict(type='LinearClsHead', num_classes=5,
                       in_channels=32)))


def _segmentor() -> nn.Module:
    return _build_in_scope(
        'mmseg',
        dict(type='EncoderDecoder',
             backbone=dict(TINY_VIT, out_type='featmap'),
             decode_head=dict(type='FCNHead', in_channels=32, channels=16,
                              num_convs=1, num_classes=3,
                              norm_cfg=dict(type='BN'))))


def _detector() -> nn.Module:
    # fixed sin-cos position table: a frozen parameter, must be skipped
    return _build_in_scope(
        'mmdet',
        dict(type='FCOS',
             backbone=dict(TINY_VIT, out_type='featmap', out_indices=(0, 1),
                           pos_embed='sincos'),
             neck=dict(type='FPN', in_channels=[32, 32], out_channels=16,
                       num_outs=2),
             bbox_head=dict(type='FCOSHead', num_classes=3, in_channels=16,
                            feat_channels=16, stacked_convs=1,
                            strides=[8, 16],
                            norm_cfg=dict(type='GN', num_groups=4))))


def _expected(name: str, backbone_prefix: str,
              head_table: List[Tuple[str, object, bool]]
              ) -> Tuple[int, bool]:
    """(layer id, decayed) of ``name`` from the tables above; exactly one
    pattern must match."""
    if name.startswith(backbone_prefix):
        table, local = BACKBONE_TABLE, name[len(backbone_prefix):]
    else:
        table, local = head_table, name
    hits = []
    for pattern, layer_id, decayed in table:
        match = re.fullmatch(pattern, local)
        if match:
            if layer_id == BLOCK:
                layer_id = int(match.group(1)) + 1
            hits.append((layer_id, decayed))
    assert len(hits) == 1, f'{name}: {len(hits)} table rows match'
    return hits[0]


def _check_every_param(model: nn.Module, optim_wrapper,
                       backbone_prefix: str,
                       head_table: List[Tuple[str, object, bool]]) -> int:
    """Compare each trainable parameter's group with the table; return
    the number of groups."""
    groups = optim_wrapper.optimizer.param_groups
    owner = {}
    for group in groups:
        for param in group['params']:
            assert id(param) not in owner, 'a parameter in two groups'
            owner[id(param)] = group
    trainable = 0
    for name, param in model.named_parameters():
        if not param.requires_grad:
            assert id(param) not in owner, f'frozen {name} in a group'
            continue
        trainable += 1
        layer_id, decayed = _expected(name, backbone_prefix, head_table)
        group = owner[id(param)]
        assert group['layer_id'] == layer_id, name
        assert group['lr_scale'] == RATE**(TOP_ID - layer_id), name
        assert group['lr'] == BASE_LR * RATE**(TOP_ID - layer_id), name
        assert group['lr'] == pytest.approx(LITERAL_LR[layer_id],
                                            rel=1e-12), name
        assert group['weight_decay'] == (BASE_WD if decayed else 0.), name
    assert len(owner) == trainable
    # one group per (layer id, decay / no decay), no duplicates
    keys = [(g['layer_id'], g['weight_decay']) for g in groups]
    assert len(set(keys)) == len(keys)
    return len(groups)


def test_registered_in_mmcae_scope():
    assert OPTIM_WRAPPER_CONSTRUCTORS.get(
        'LayerDecayOptimWrapperConstructor') is \
        LayerDecayOptimWrapperConstructor


def test_mmpretrain_classifier_every_param(caplog):
    model = _classifier()
    optim_wrapper = build_optim_wrapper(model, OPTIM_CFG)
    num_groups = _check_every_param(model, optim_wrapper, 'backbone.',
                                    CLS_HEAD_TABLE)
    # ids 0..3, each with decayed and non-decayed params
    assert num_groups == 8
    assert isinstance(optim_wrapper.optimizer, torch.optim.AdamW)


def test_mmpretrain_classifier_own_get_layer_depth():
    # backbone_prefix='' uses ImageClassifier.get_layer_depth(name), which
    # takes no prefix and delegates to the backbone: same groups
    model = _classifier()
    cfg = dict(OPTIM_CFG,
               paramwise_cfg=dict(layer_decay_rate=RATE, backbone_prefix=''))
    optim_wrapper = build_optim_wrapper(model, cfg)
    assert _check_every_param(model, optim_wrapper, 'backbone.',
                              CLS_HEAD_TABLE) == 8


def test_mmseg_encoder_decoder_every_param():
    model = _segmentor()
    optim_wrapper = build_optim_wrapper(model, OPTIM_CFG)
    _check_every_param(model, optim_wrapper, 'backbone.', SEG_HEAD_TABLE)
    # mmseg's own constructor leaves these decayed: ours must not
    groups = optim_wrapper.optimizer.param_groups
    for param in (model.backbone.cls_token, model.backbone.pos_embed):
        group = next(g for g in groups
                     if any(p is param for p in g['params']))
        assert group['weight_decay'] == 0. and group['layer_id'] == 0


def test_mmseg_explicit_backbone_prefix():
    model = _segmentor()
    for prefix in ('backbone', 'backbone.'):
        cfg = dict(OPTIM_CFG, paramwise_cfg=dict(layer_decay_rate=RATE,
                                                 backbone_prefix=prefix))
        optim_wrapper = build_optim_wrapper(model, cfg)
        _check_every_param(model, optim_wrapper, 'backbone.',
                           SEG_HEAD_TABLE)


def test_mmdet_detector_every_param():
    model = _detector()
    assert not model.backbone.pos_embed.requires_grad
    optim_wrapper = build_optim_wrapper(model, OPTIM_CFG)
    _check_every_param(model, optim_wrapper, 'backbone.', DET_HEAD_TABLE)


class _DDPLike(nn.Module):
    """Holds the model in ``.module`` like (MM)DistributedDataParallel."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.module = model


def test_wrapped_model_same_groups():
    model = _segmentor()
    plain = build_optim_wrapper(model, OPTIM_CFG).optimizer.param_groups
    wrapped_wrapper = build_optim_wrapper(_DDPLike(_DDPLike(model)),
                                          OPTIM_CFG)
    _check_every_param(model, wrapped_wrapper, 'backbone.', SEG_HEAD_TABLE)
    wrapped = wrapped_wrapper.optimizer.param_groups
    assert len(plain) == len(wrapped)
    for first, second in zip(plain, wrapped):
        assert [id(p) for p in first['params']] == \
            [id(p) for p in second['params']]
        assert first['lr'] == second['lr']


class _EncoderAndHead(nn.Module):
    """A model whose ViT is not called ``backbone``."""

    def __init__(self):
        super().__init__()
        cfg = dict(TINY_VIT)
        cfg.pop('type')
        self.head = nn.Linear(32, 4)
        self.encoder = ViT(**cfg)


def test_backbone_found_under_any_name():
    model = _EncoderAndHead()
    optim_wrapper = build_optim_wrapper(model, OPTIM_CFG)
    head_table = [(r'head\.weight', TOP_ID, True),
                  (r'head\.bias', TOP_ID, False)]
    assert _check_every_param(model, optim_wrapper, 'encoder.',
                              head_table) == 8


def test_bare_backbone():
    model = _EncoderAndHead().encoder
    optim_wrapper = build_optim_wrapper(model, OPTIM_CFG)
    # the final norm is the only top-id parameter: one no-decay group
    assert _check_every_param(model, optim_wrapper, '', []) == 7


def test_scheduler_keeps_layer_ratios_and_step_runs():
    model = _classifier()
    optim_wrapper = build_optim_wrapper(model, OPTIM_CFG)
    # mmengine's LinearLR: factor 0.1 at step 0, + 0.9 / (end - 1) a step
    scheduler = LinearLR(optim_wrapper, start_factor=0.1, by_epoch=False,
                         begin=0, end=10)
    groups = optim_wrapper.optimizer.param_groups
    for group in groups:
        assert group['initial_lr'] == BASE_LR * group['lr_scale']
        assert group['lr'] == pytest.approx(0.1 * group['initial_lr'])
    before = model.backbone.blocks[0].attn.qkv.weight.detach().clone()
    feats = model.extract_feat(torch.randn(2, 3, 32, 32))
    optim_wrapper.update_params(model.head(feats).square().mean())
    assert not torch.equal(before, model.backbone.blocks[0].attn.qkv.weight)
    scheduler.step()
    for group in groups:
        assert group['lr'] == pytest.approx(0.2 * BASE_LR *
                                            group['lr_scale'])


def test_logs_one_table(monkeypatch):
    # MMLogger's handlers keep the stream of the test that created them,
    # so capture the call itself
    messages = []
    monkeypatch.setattr(
        layer_decay_constructor, 'print_log',
        lambda msg, logger=None, level=None: messages.append(
            (msg, logger)))
    build_optim_wrapper(_classifier(), OPTIM_CFG)
    assert len(messages) == 1 and messages[0][1] == 'current'
    text = messages[0][0]
    assert 'Layer-wise lr decay: rate 0.65' in text
    assert "prefix 'backbone.'" in text
    rows = [line.split() for line in text.splitlines()
            if re.match(r'\s*\d+\s+[\d.e-]+\s+[\d.e-]+\s+[\d.]+\s+\d+\s+\d+$',
                        line)]
    assert len(rows) == 8
    # layer 0 decayed group: only patch_embed.proj.weight (32*3*8*8)
    assert rows[0] == ['0', '0.2746', '0.0002746', '0.05', '1', '6144']


@pytest.mark.parametrize('name, ndim, exempt', [
    ('blocks.0.attn.relative_position_bias_table', 2, True),  # BEiT, timm
    ('rel_pos_bias.relative_position_bias_table', 2, True),  # shared
    ('backbone.blocks.3.attn.relative_position_bias.table', 2, True),
    ('rd_pos_embed', 3, True),  # CAE regressor/decoder table
    ('decoder_pos_embed', 3, True),
    ('backbone.dist_token', 3, True),
    ('bbox_head.scales.0.scale', 0, True),
    ('pos_embed_proj.weight', 2, False),  # a layer, not a table
    ('cls_token_head.weight', 2, False),
    ('blocks.0.attn.qkv.weight', 2, False),
])
def test_no_decay_rule(name: str, ndim: int, exempt: bool):
    assert layer_decay_constructor.is_no_decay(name, ndim) is exempt


def test_no_get_layer_depth_is_a_clear_error():
    model = nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2))
    with pytest.raises(ValueError, match='Sequential.*get_layer_depth'):
        build_optim_wrapper(model, OPTIM_CFG)


@pytest.mark.parametrize('paramwise_cfg, message', [
    (None, 'layer_decay_rate'),
    (dict(), 'layer_decay_rate'),
    (dict(layer_decay_rate=0.), r'\(0, 1\]'),
    (dict(layer_decay_rate='0.65'), r'\(0, 1\]'),
    (dict(layer_decay_rate=0.65, custom_keys={}), 'custom_keys'),
    (dict(layer_decay_rate=0.65, backbone_prefix='decode_head'),
     'FCNHead, which has no get_layer_depth'),
    (dict(layer_decay_rate=0.65, backbone_prefix='nothing'),
     'no submodule'),
])
def test_bad_config_is_a_clear_error(paramwise_cfg: Optional[dict],
                                     message: str):
    cfg = dict(OPTIM_CFG, paramwise_cfg=paramwise_cfg)
    with pytest.raises(ValueError, match=message):
        build_optim_wrapper(_segmentor(), cfg)


def test_base_lr_required():
    cfg = dict(OPTIM_CFG, optimizer=dict(type='AdamW', weight_decay=0.05))
    with pytest.raises(ValueError, match='lr'):
        build_optim_wrapper(_segmentor(), cfg)
