"""Every supported checkpoint layout converts and loads into mmcae.ViT with
no missing keys; where a peer model exists, the converted weights give the
peer's output. Checkpoints are built here from each format's documented key
layout (shared/notes/reference-facts.md), with random values."""
import re
import sys

import pytest
import torch
from timm.models.vision_transformer import VisionTransformer

from mmcae.checkpoint import (CheckpointFormatError, convert_vit_checkpoint,
                              detect_format, resize_relative_position_table)
from mmcae.models import ViT

from tests.helpers import TINY_VIT as TINY
from tests.helpers import TINY_VIT_MMPRETRAIN as MMPRETRAIN_TINY
from tests.helpers import assert_parity as _close
from tests.helpers import perturb as _perturb

IMAGES = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))


def _timm_peer(seed=0, **kwargs):
    torch.manual_seed(seed)
    peer = VisionTransformer(
        img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2,
        mlp_ratio=4., num_classes=0, **kwargs)
    return _perturb(peer, seed).eval()


def _mmpretrain_beit_peer(**kwargs):
    from mmpretrain.models import BEiTViT
    torch.manual_seed(0)
    peer = BEiTViT(arch=MMPRETRAIN_TINY, img_size=32, patch_size=8,
                   layer_scale_init_value=0.1, **kwargs)
    peer.eval()
    return _perturb(peer)


def _official_beit_names(mmpretrain_state: dict) -> dict:
    """mmpretrain BEiT keys -> the official BEiT / CAE release names."""
    rules = [
        (r'^patch_embed\.projection\.', 'patch_embed.proj.'),
        (r'^layers\.(\d+)\.ln1\.', r'blocks.\1.norm1.'),
        (r'^layers\.(\d+)\.ln2\.', r'blocks.\1.norm2.'),
        (r'^layers\.(\d+)\.ffn\.layers\.0\.0\.', r'blocks.\1.mlp.fc1.'),
        (r'^layers\.(\d+)\.ffn\.layers\.1\.', r'blocks.\1.mlp.fc2.'),
        (r'^layers\.(\d+)\.', r'blocks.\1.'),
        (r'^ln1\.', 'norm.'),
        (r'^ln2\.', 'fc_norm.'),
    ]
    out = {}
    for key, value in mmpretrain_state.items():
        for pattern, replacement in rules:
            key, count = re.subn(pattern, replacement, key)
            if count:
                break
        out[key] = value
    return out


def _convert_and_load(checkpoint, expected_format, **vit_kwargs):
    state_dict, fmt = convert_vit_checkpoint(checkpoint)
    assert fmt == expected_format
    model = ViT(arch=TINY, img_size=32, patch_size=8, **vit_kwargs)
    result = model.load_state_dict(state_dict, strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == []
    return model.eval()


def _timm_tokens(peer):
    with torch.no_grad():
        return peer.forward_features(IMAGES)


def _raw(model):
    with torch.no_grad():
        return model(IMAGES)[0]


def test_timm_and_dino_backbone_file():
    peer = _timm_peer()
    ours = _convert_and_load(dict(peer.state_dict()), 'timm', out_type='raw')
    _close(_raw(ours), _timm_tokens(peer))


def test_mae_pretrain_checkpoint_drops_decoder():
    peer = _timm_peer()
    model = dict(peer.state_dict())
    model.update({
        'mask_token': torch.randn(1, 1, 16),  # decoder width, not ours
        'decoder_embed.weight': torch.randn(16, 32),
        'decoder_pos_embed': torch.randn(1, 17, 16),
        'decoder_blocks.0.attn.qkv.weight': torch.randn(48, 16),
        'decoder_norm.weight': torch.randn(16),
        'decoder_pred.weight': torch.randn(192, 16),
    })
    ours = _convert_and_load({'model': model}, 'timm', out_type='raw')
    _close(_raw(ours), _timm_tokens(peer))


def test_deit_distilled_keeps_the_distillation_token_unless_asked():
    peer = _timm_peer()
    model = dict(peer.state_dict())
    pos_embed = model['pos_embed']
    dist_row = torch.randn(1, 1, 32)
    model['pos_embed'] = torch.cat([pos_embed[:, :1], dist_row,
                                    pos_embed[:, 1:]], 1)
    model['dist_token'] = torch.randn(1, 1, 32)
    model['head_dist.weight'] = torch.randn(10, 32)
    state_dict, fmt = convert_vit_checkpoint({'model': model})
    assert fmt == 'deit_distilled'
    assert torch.equal(state_dict['pos_embed'], model['pos_embed'])
    assert torch.equal(state_dict['dist_token'], model['dist_token'])
    assert 'head_dist.weight' not in state_dict
    ViT(arch=TINY, img_size=32, patch_size=8,
        with_dist_token=True).load_state_dict(state_dict)
    dropped, _ = convert_vit_checkpoint({'model': model},
                                        drop_dist_token=True)
    assert torch.equal(dropped['pos_embed'], pos_embed)
    assert 'dist_token' not in dropped
    ViT(arch=TINY, img_size=32, patch_size=8).load_state_dict(dropped)
    # resizing keeps both leading rows as they are
    resized, _ = convert_vit_checkpoint({'model': model}, dst_grid=(6, 6))
    assert resized['pos_embed'].shape == (1, 2 + 36, 32)
    assert torch.equal(resized['pos_embed'][:, :2], model['pos_embed'][:, :2])


def test_mocov3_takes_the_base_encoder():
    peer = _timm_peer()
    other = _timm_peer(seed=1)
    state = {f'module.base_encoder.{k}': v
             for k, v in peer.state_dict().items()}
    state.update({f'module.momentum_encoder.{k}': v
                  for k, v in other.state_dict().items()})
    state['module.base_encoder.head.0.weight'] = torch.randn(64, 32)
    state['module.predictor.0.weight'] = torch.randn(64, 64)
    ours = _convert_and_load({'state_dict': state}, 'mocov3', out_type='raw')
    _close(_raw(ours), _timm_tokens(peer))


@pytest.mark.parametrize('which', ['teacher', 'student'])
def test_dino_full_checkpoint_teacher_by_default(which):
    teacher, student = _timm_peer(seed=0), _timm_peer(seed=1)
    checkpoint = {
        'teacher': {f'backbone.{k}': v
                    for k, v in teacher.state_dict().items()},
        'student': {f'module.backbone.{k}': v
                    for k, v in student.state_dict().items()},
        'epoch': 100,
    }
    checkpoint['teacher']['head.mlp.0.weight'] = torch.randn(64, 32)
    checkpoint['student']['module.head.mlp.0.weight'] = torch.randn(64, 32)
    state_dict, fmt = convert_vit_checkpoint(checkpoint, dino_key=which)
    assert fmt == 'dino'
    model = ViT(arch=TINY, img_size=32, patch_size=8, out_type='raw')
    model.load_state_dict(state_dict, strict=True)
    peer = teacher if which == 'teacher' else student
    _close(_raw(model.eval()), _timm_tokens(peer))


@pytest.mark.parametrize('shared', [False, True])
def test_official_beit_layout(shared):
    peer = _mmpretrain_beit_peer(
        out_type='avg_featmap', final_norm=False, use_abs_pos_emb=False,
        use_rel_pos_bias=not shared, use_shared_rel_pos_bias=shared)
    model = _official_beit_names(peer.state_dict())
    assert any(k.endswith('relative_position_index') for k in model)
    model['mask_token'] = torch.randn(1, 1, 32)  # BEiT's, encoder width
    model['lm_head.weight'] = torch.randn(8192, 32)
    state_dict, fmt = convert_vit_checkpoint({'model': model})
    assert fmt == 'beit'
    ours = ViT(arch=TINY, img_size=32, patch_size=8, qkv_bias='qv',
               layer_scale_init_value=0.1, pos_embed=None,
               use_rel_pos_bias=True, use_mask_token=True,
               out_type='avg_featmap', final_norm=False)
    ours.load_state_dict(state_dict, strict=True)
    with torch.no_grad():
        _close(ours.eval()(IMAGES)[0], peer(IMAGES)[0])


def _cae_encoder_peer():
    """A CAE encoder: BEiT blocks, fixed sin-cos positions, layer scale."""
    return _mmpretrain_beit_peer(
        out_type='raw', final_norm=True, use_abs_pos_emb=True,
        use_rel_pos_bias=False)


CAE_KWARGS = dict(qkv_bias='qv', layer_scale_init_value=0.1,
                  pos_embed='sincos', out_type='raw')


def test_cae_full_pretrain_checkpoint_keeps_only_the_encoder():
    peer = _cae_encoder_peer()
    encoder = _official_beit_names(peer.state_dict())
    model = {f'encoder.{k}': v for k, v in encoder.items()}
    model.update({f'alignment_encoder.{k}': torch.randn_like(v)
                  for k, v in encoder.items()})
    model.update({
        'mask_token': torch.randn(1, 1, 32),
        'rd_pos_embed': torch.randn(1, 17, 32),
        'regresser.blocks.0.norm1_q.weight': torch.randn(32),
        'decoder.blocks.0.norm1.weight': torch.randn(32),
        'decoder.head.weight': torch.randn(8192, 32),
    })
    ours = _convert_and_load({'model': model}, 'cae', **CAE_KWARGS)
    with torch.no_grad():
        _close(_raw(ours), peer(IMAGES)[0])


def test_cae_encoder_release_is_beit_layout():
    peer = _cae_encoder_peer()
    model = _official_beit_names(peer.state_dict())
    ours = _convert_and_load({'model': model}, 'beit', **CAE_KWARGS)
    with torch.no_grad():
        _close(_raw(ours), peer(IMAGES)[0])


def test_mmpretrain_cae_algorithm_checkpoint():
    from mmpretrain.models.selfsup.cae import CAEPretrainViT
    torch.manual_seed(0)
    peer = CAEPretrainViT(arch=MMPRETRAIN_TINY, img_size=32, patch_size=8,
                          layer_scale_init_value=0.1)
    peer.init_weights()
    peer.eval()
    _perturb(peer)
    state = {f'backbone.{k}': v for k, v in peer.state_dict().items()}
    state.update({f'target_backbone.{k}': torch.randn_like(v)
                  for k, v in peer.state_dict().items()})
    state['neck.regressors.0.norm1_q.weight'] = torch.randn(32)
    state['head.loss.weight'] = torch.randn(1)
    ours = _convert_and_load({'state_dict': state}, 'mmpretrain_cae',
                             **CAE_KWARGS)
    with torch.no_grad():
        _close(_raw(ours), peer(IMAGES, None)[0])


def test_mmcae_checkpoint_strips_backbone_prefix():
    source = _perturb(ViT(arch=TINY, img_size=32, patch_size=8))
    state = {f'backbone.{k}': v for k, v in source.state_dict().items()}
    state['head.fc.weight'] = torch.randn(10, 32)
    ours = _convert_and_load({'state_dict': state, 'meta': {}}, 'mmcae')
    with torch.no_grad():
        _close(ours(IMAGES)[0], source.eval()(IMAGES)[0])


def test_unknown_layout_is_a_clear_error():
    with pytest.raises(CheckpointFormatError, match='unknown ViT checkpoint'):
        detect_format({'conv1.weight': torch.zeros(1)})
    with pytest.raises(CheckpointFormatError, match="unknown format 'xyz'"):
        convert_vit_checkpoint({'model': {'a': torch.zeros(1)}}, fmt='xyz')


def test_relative_table_resize_keeps_cls_entries_and_values():
    table = torch.randn(7 * 7 + 3, 2)
    same = resize_relative_position_table(table, (4, 4))
    assert same is table
    larger = resize_relative_position_table(table, (8, 8))
    assert larger.shape == (15 * 15 + 3, 2)
    assert torch.equal(larger[-3:], table[-3:])
    constant = resize_relative_position_table(torch.ones(7 * 7 + 3, 2),
                                              (8, 8))
    assert torch.allclose(constant, torch.ones_like(constant), atol=1e-5)


def test_converter_tool_writes_a_pretrained_loadable_file(
        tmp_path, capsys, monkeypatch):
    peer = _timm_peer()
    source = tmp_path / 'mae_pretrain.pth'
    torch.save({'model': dict(peer.state_dict())}, source)
    out = tmp_path / 'converted.pth'
    # in this process, as the tool runs it (the command line itself runs in
    # tests/test_models/test_selfsup/test_cae.py and test_converter_messages)
    from mmcae.checkpoint.cli import convert_main
    from mmcae.utils.cli import run_tool
    monkeypatch.setattr(sys, 'argv', ['convert_checkpoint.py'])
    assert run_tool(convert_main, [
        str(source), str(out), '--img-size', '48', '--patch-size', '8'
    ]) == 0, capsys.readouterr().err[-3000:]
    assert 'timm ->' in capsys.readouterr().out
    model = ViT(arch=TINY, img_size=48, patch_size=8, out_type='raw',
                init_cfg=dict(type='Pretrained', checkpoint=str(out)))
    model.init_weights()
    converted = torch.load(out, weights_only=True)['state_dict']
    assert converted['pos_embed'].shape == (1, 1 + 36, 32)
    own = model.state_dict()
    assert set(own) == set(converted)
    assert all(torch.equal(own[k], converted[k]) for k in own)
    # a missing file: one line
    assert run_tool(convert_main, [str(tmp_path / 'nope.pth'), str(out)]) \
        == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith('convert_checkpoint.py: error: checkpoint '
                             'not found: ') and 'nope.pth' in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_pretrained_init_converts_any_layout_and_refuses_a_wrong_model(
        tmp_path):
    from mmcae.checkpoint import CheckpointFormatError
    peer = _timm_peer()
    source = tmp_path / 'mae_pretrain.pth'
    torch.save({'model': dict(peer.state_dict())}, source)
    # the MAE file directly, into a model with another input size
    model = ViT(arch=TINY, img_size=48, patch_size=8, out_type='raw',
                init_cfg=dict(type='Pretrained', checkpoint=str(source)))
    model.init_weights()
    assert torch.equal(model.blocks[1].mlp.fc2.weight,
                       peer.blocks[1].mlp.fc2.weight)
    assert model.pos_embed.shape == (1, 37, 32)
    # same grid: the output is the peer's
    same = ViT(arch=TINY, img_size=32, patch_size=8, out_type='raw',
               init_cfg=dict(type='Pretrained', checkpoint=str(source)))
    same.init_weights()
    _close(_raw(same.eval()), _timm_tokens(peer))

    wider = ViT(arch=dict(TINY, embed_dims=64), img_size=32, patch_size=8,
                init_cfg=dict(type='Pretrained', checkpoint=str(source)))
    with pytest.raises(CheckpointFormatError) as error:
        wider.init_weights()
    message = str(error.value)
    assert str(source) in message and 'timm layout' in message
    assert 'blocks.0.norm1.weight: checkpoint (32,) vs model (64,)' in \
        message
    deeper = ViT(arch=dict(TINY, num_layers=3), img_size=32, patch_size=8,
                 init_cfg=dict(type='Pretrained', checkpoint=str(source)))
    with pytest.raises(CheckpointFormatError, match='blocks.2.attn'):
        deeper.init_weights()


def test_mocov3_vit_small_needs_twelve_heads(tmp_path):
    from mmcae.checkpoint import CheckpointFormatError
    torch.manual_seed(0)
    peer = VisionTransformer(img_size=32, patch_size=8, embed_dim=384,
                             depth=1, num_heads=12, num_classes=0)
    source = tmp_path / 'mocov3_vit_small.pth'
    torch.save({'state_dict': {f'module.base_encoder.{k}': v
                               for k, v in peer.state_dict().items()}},
               source)
    arch = dict(embed_dims=384, num_layers=1, num_heads=6,
                mlp_hidden_dims=1536)
    six = ViT(arch=arch, img_size=32, patch_size=8,
              init_cfg=dict(type='Pretrained', checkpoint=str(source)))
    with pytest.raises(CheckpointFormatError, match="arch='mocov3-small'"):
        six.init_weights()
    twelve = ViT(arch=dict(arch, num_heads=12), img_size=32, patch_size=8,
                 out_type='raw',
                 init_cfg=dict(type='Pretrained', checkpoint=str(source)))
    twelve.init_weights()
    with torch.no_grad():
        _close(twelve.eval()(IMAGES)[0], peer.eval().forward_features(IMAGES))
