"""Checkpoints whose weights fit a model of another head count (or one
without a distilled DeiT's [DIST] token) are refused, before and after
conversion, with one message that names the file, the source's arch and
the config option to set; the converter records the facts it knows in the
converted file's ``meta['source']``; ``norm_to_fc_norm`` starts a CAE
fine-tuning as the official script does.

Official layouts are built here from their key names (Atten4Vis/CAE
models/modeling_cae.py and modeling_cae_helper.py, facebookresearch/moco-v3
main_moco.py), with random values and few blocks."""
import sys

import pytest
import torch
from mmengine.model import initialize

from mmcae.checkpoint import CheckpointFormatError, architecture_facts
from mmcae.checkpoint.cli import convert_main
from mmcae.checkpoint.load import load_vit_pretrained
from mmcae.models import ViT
from mmcae.utils.cli import run_tool

from tests.helpers import TINY_VIT as TINY
from tests.helpers import assert_parity

# official CAE ViT-S width and MLP (cae_small_patch16_224), two blocks
CAE_S = dict(embed_dims=384, num_layers=2, mlp_hidden_dims=1536)
# 32-px images, 16-px patches: a 2 x 2 grid
GRID = 2
IMAGES = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(3))


def _rand(*shape, generator):
    return torch.randn(*shape, generator=generator) * 0.05


def official_cae_pretrain(embed_dims=384, num_layers=2, seed=0) -> dict:
    """An official CAE pretraining ``model`` state dict (encoder with q/v
    biases and layer scale, fixed sin-cos positions; regressor, decoder,
    mask token and rd_pos_embed beside it)."""
    g = torch.Generator().manual_seed(seed)
    dims, hidden = embed_dims, 4 * embed_dims
    state = {
        'encoder.cls_token': _rand(1, 1, dims, generator=g),
        'encoder.pos_embed': _rand(1, 1 + GRID * GRID, dims, generator=g),
        'encoder.patch_embed.proj.weight': _rand(dims, 3, 16, 16,
                                                 generator=g),
        'encoder.patch_embed.proj.bias': _rand(dims, generator=g),
        'encoder.norm.weight': 1 + _rand(dims, generator=g),
        'encoder.norm.bias': _rand(dims, generator=g),
    }
    for i in range(num_layers):
        block = f'encoder.blocks.{i}.'
        for name, shape in (('norm1.weight', (dims, )),
                            ('norm1.bias', (dims, )),
                            ('attn.qkv.weight', (3 * dims, dims)),
                            ('attn.q_bias', (dims, )),
                            ('attn.v_bias', (dims, )),
                            ('attn.proj.weight', (dims, dims)),
                            ('attn.proj.bias', (dims, )),
                            ('norm2.weight', (dims, )),
                            ('norm2.bias', (dims, )),
                            ('mlp.fc1.weight', (hidden, dims)),
                            ('mlp.fc1.bias', (hidden, )),
                            ('mlp.fc2.weight', (dims, hidden)),
                            ('mlp.fc2.bias', (dims, )),
                            ('gamma_1', (dims, )), ('gamma_2', (dims, ))):
            state[block + name] = _rand(*shape, generator=g)
    state.update({
        'mask_token': _rand(1, 1, dims, generator=g),
        'rd_pos_embed': _rand(1, 1 + GRID * GRID, dims, generator=g),
        'regresser.regressor_blocks.0.norm1_q.weight': _rand(dims,
                                                             generator=g),
        'regresser.regressor_blocks.0.cross_attn.q.weight': _rand(
            dims, dims, generator=g),
        'regresser.norm.weight': _rand(dims, generator=g),
        'decoder.decoder_blocks.0.norm1.weight': _rand(dims, generator=g),
        'decoder.head.weight': _rand(64, dims, generator=g),
    })
    return state


def _cae_vit(num_heads, **kwargs):
    arch = dict(CAE_S, num_heads=num_heads)
    kwargs.setdefault('pos_embed', 'sincos')
    return ViT(arch=arch, img_size=32, patch_size=16, qkv_bias='qv',
               layer_scale_init_value=0.1, **kwargs)


def _save(tmp_path, name, checkpoint):
    path = str(tmp_path / name)
    torch.save(checkpoint, path)
    return path


def _convert(tmp_path, monkeypatch, capsys, source, *flags):
    """convert_checkpoint.py in this process, as the tool runs it."""
    out = str(tmp_path / 'converted.pth')
    monkeypatch.setattr(sys, 'argv', ['convert_checkpoint.py'])
    status = run_tool(convert_main, [source, out, *flags])
    captured = capsys.readouterr()
    assert status == 0, captured.err[-3000:]
    return out, captured.out


def _refusal(model, path, **kwargs) -> str:
    with pytest.raises(CheckpointFormatError) as error:
        load_vit_pretrained(model, path, **kwargs)
    return str(error.value)


def test_official_cae_small_refused_by_six_heads_before_and_after_conversion(
        tmp_path, monkeypatch, capsys):
    source = _save(tmp_path, 'cae_small_300ep.pth',
                   {'model': official_cae_pretrain()})
    six = _cae_vit(6, init_cfg=dict(type='Pretrained', checkpoint=source))
    with pytest.raises(CheckpointFormatError) as error:
        six.init_weights()  # the config path
    message = str(error.value)
    assert message.count('\n') == 0
    assert f"'{source}' (cae layout)" in message
    assert ('the file has 12 attention heads (official CAE ViT-S, '
            'Atten4Vis/CAE cae_small_patch16_224); the model has 6: set '
            "model.backbone.arch='cae-small'") in message
    # the weights fit: nothing else (no shape list) is reported
    assert 'shape' not in message

    out, printed = _convert(tmp_path, monkeypatch, capsys, source)
    assert '12 heads (official CAE ViT-S' in printed
    meta = torch.load(out, weights_only=True)['meta']['source']
    assert {k: v for k, v in meta.items() if k != 'num_heads_from'} == dict(
        format='cae', embed_dims=384, num_layers=2, mlp_hidden_dims=1536,
        with_dist_token=False, num_heads=12, file=source)
    message = _refusal(_cae_vit(6), out)
    assert '(beit layout, converted from cae)' in message
    assert "the model has 6: set model.backbone.arch='cae-small'" in message

    # the model the message asks for loads both files
    for path in (source, out):
        twelve = _cae_vit(12, out_type='raw')
        assert load_vit_pretrained(twelve, path) in ('cae', 'beit')
        assert torch.equal(
            twelve.blocks[1].attn.v_bias,
            official_cae_pretrain()['encoder.blocks.1.attn.v_bias'])


def test_the_suggested_arch_names_the_file_depth_when_it_differs(tmp_path):
    source = _save(tmp_path, 'cae.pth', {'model': official_cae_pretrain()})
    message = _refusal(_cae_vit(6), source)
    # 'cae-small' has 12 blocks, this test file 2
    assert ("arch='cae-small' (12 blocks; this file has 2: "
            'arch=dict(embed_dims=384, num_layers=2, num_heads=12, '
            'mlp_hidden_dims=1536))') in message


def _mocov3_vit_small(num_layers=1) -> dict:
    """MoCo v3's checkpoint: ``state_dict`` with ``module.base_encoder.``
    (timm names), the momentum encoder and predictor beside it."""
    torch.manual_seed(0)
    encoder = ViT(arch=dict(CAE_S, num_layers=num_layers, num_heads=12),
                  img_size=32, patch_size=16)
    state = {f'module.base_encoder.{k}': v + 0.01 * torch.randn_like(v)
             for k, v in encoder.state_dict().items()}
    state.update({f'module.momentum_encoder.{k}': torch.randn_like(v)
                  for k, v in encoder.state_dict().items()})
    state['module.predictor.0.weight'] = torch.randn(16, 384)
    return {'state_dict': state, 'epoch': 300}


def test_mocov3_vit_small_refused_by_six_heads_after_conversion(
        tmp_path, monkeypatch, capsys):
    source = _save(tmp_path, 'vit-s-300ep.pth.tar', _mocov3_vit_small())
    arch = dict(CAE_S, num_layers=1)
    message = _refusal(
        ViT(arch=dict(arch, num_heads=6), img_size=32, patch_size=16),
        source)
    assert ('12 attention heads (MoCo v3 ViT-S, facebookresearch/moco-v3 '
            "vits.py vit_small); the model has 6: set "
            "model.backbone.arch='mocov3-small'") in message
    out, _ = _convert(tmp_path, monkeypatch, capsys, source)
    message = _refusal(
        ViT(arch=dict(arch, num_heads=6), img_size=32, patch_size=16), out)
    assert f"'{out}' (timm layout, converted from mocov3)" in message
    assert "set model.backbone.arch='mocov3-small'" in message
    twelve = ViT(arch=dict(arch, num_heads=12), img_size=32, patch_size=16)
    assert load_vit_pretrained(twelve, out) == 'timm'


def _official_cae_finetuned(num_heads=12) -> dict:
    """A fine-tuned CAE-S (BEiT layout): per-block relative position tables
    with one column per head, mean pooling (fc_norm), a head."""
    g = torch.Generator().manual_seed(1)
    encoder = official_cae_pretrain()
    state = {k[len('encoder.'):]: v for k, v in encoder.items()
             if k.startswith('encoder.') and k != 'encoder.pos_embed'
             and not k.startswith('encoder.norm.')}
    rows = (2 * GRID - 1)**2 + 3
    for i in range(2):
        state[f'blocks.{i}.attn.relative_position_bias_table'] = _rand(
            rows, num_heads, generator=g)
        state[f'blocks.{i}.attn.relative_position_index'] = torch.zeros(
            GRID * GRID + 1, GRID * GRID + 1, dtype=torch.long)
    state.update({
        'fc_norm.weight': 1 + _rand(384, generator=g),
        'fc_norm.bias': _rand(384, generator=g),
        'head.weight': _rand(10, 384, generator=g),
        'head.bias': _rand(10, generator=g),
    })
    return {'model': state}


def _finetune_vit(num_heads):
    return _cae_vit(num_heads, pos_embed=None, use_rel_pos_bias=True,
                    out_type='avg_featmap', final_norm=False)


def test_finetuned_cae_small_gets_the_message_not_a_size_mismatch(tmp_path):
    source = _save(tmp_path, 'cae_small_ft.pth', _official_cae_finetuned())
    message = _refusal(_finetune_vit(6), source)
    assert ('the file has 12 attention heads (its relative position bias '
            "tables); the model has 6: set model.backbone.arch='cae-small'"
            ) in message
    assert 'size mismatch' not in message
    assert load_vit_pretrained(_finetune_vit(12), source) == 'beit'


def test_a_size_mismatch_while_loading_is_one_clear_error(tmp_path):
    """A module that does not say its head count: torch's RuntimeError
    while loading is turned into the loader's error, naming the file."""
    source = _save(tmp_path, 'cae_small_ft.pth', _official_cae_finetuned())
    model = _finetune_vit(6)
    model.num_heads = None
    message = _refusal(model, source)
    assert '\n' not in message
    assert f"loading '{source}'" in message
    assert 'relative_position_bias.table' in message
    assert '12 in the file' in message


def test_facts_per_format():
    cae = architecture_facts(
        {'patch_embed.proj.weight': torch.zeros(192, 3, 16, 16),
         'blocks.0.mlp.fc1.weight': torch.zeros(768, 192)}, 'cae')
    assert cae['num_heads'] == 12 and 'CAE ViT-T' in cae['num_heads_from']
    dino = architecture_facts(
        {'patch_embed.proj.weight': torch.zeros(384, 3, 16, 16)}, 'dino')
    assert dino['num_heads'] == 6
    # a timm-layout file can be anything: no head count is assumed ...
    timm = architecture_facts(
        {'patch_embed.proj.weight': torch.zeros(384, 3, 16, 16)}, 'timm')
    assert 'num_heads' not in timm
    # ... unless a relative position table says it
    table = architecture_facts(
        {'patch_embed.proj.weight': torch.zeros(384, 3, 16, 16),
         'blocks.0.attn.relative_position_bias.table': torch.zeros(12, 8)},
        'timm')
    assert table['num_heads'] == 8


def _deit_distilled_peer():
    from timm.models.deit import VisionTransformerDistilled
    torch.manual_seed(0)
    peer = VisionTransformerDistilled(
        img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2,
        mlp_ratio=4., num_classes=10)
    with torch.no_grad():
        for param in peer.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    return peer.eval()


def _distilled_vit(**kwargs):
    return ViT(arch=TINY, img_size=32, patch_size=8, qkv_bias='qkv',
               pos_embed='learned', out_type='cls_token', final_norm=True,
               **kwargs)


def test_distilled_deit_keeps_dist_token_and_gives_timm_features(
        tmp_path, monkeypatch, capsys):
    peer = _deit_distilled_peer()
    source = _save(tmp_path, 'deit_tiny_distilled.pth',
                   {'model': peer.state_dict()})
    out, printed = _convert(tmp_path, monkeypatch, capsys, source)
    assert '[DIST] kept' in printed
    saved = torch.load(out, weights_only=True)
    assert saved['meta']['source']['with_dist_token'] is True
    assert torch.equal(saved['state_dict']['dist_token'], peer.dist_token)
    assert torch.equal(saved['state_dict']['pos_embed'], peer.pos_embed)

    model = _distilled_vit(
        with_dist_token=True,
        init_cfg=dict(type='Pretrained', checkpoint=out))
    model.init_weights()
    with torch.no_grad():
        ours = model.eval()(IMAGES)[0]
        reference = peer.forward_features(IMAGES)[:, 0]
    assert_parity(ours, reference, 1e-5)

    # without [DIST] in the model: refused, naming both ways out
    message = _refusal(_distilled_vit(), out)
    assert 'set model.backbone.with_dist_token=True' in message
    assert 'drop_dist_token=True' in message and '--drop-dist-token' in \
        message


def test_distilled_deit_without_dist_token_only_on_request(
        tmp_path, monkeypatch, capsys):
    peer = _deit_distilled_peer()
    source = _save(tmp_path, 'deit_tiny_distilled.pth',
                   {'model': peer.state_dict()})
    # the loader's option, from the config
    model = _distilled_vit(init_cfg=dict(
        type='Pretrained', checkpoint=source, drop_dist_token=True))
    model.init_weights()
    expected = torch.cat([peer.pos_embed[:, :1], peer.pos_embed[:, 2:]], 1)
    assert torch.equal(model.pos_embed, expected)
    assert torch.equal(model.cls_token, peer.cls_token)
    # the converter's option, recorded: loads with no option
    out, printed = _convert(tmp_path, monkeypatch, capsys, source,
                            '--drop-dist-token')
    assert '[DIST] dropped' in printed
    assert torch.load(out, weights_only=True)['meta']['source'][
        'dist_token_dropped'] is True
    model = _distilled_vit()
    assert load_vit_pretrained(model, out) == 'timm'
    assert torch.equal(model.pos_embed, expected)
    message = _refusal(_distilled_vit(with_dist_token=True), out)
    assert ('no [DIST] token (it was dropped when it was converted) and the '
            'model has one: set model.backbone.with_dist_token=False'
            ) in message
    # a file converted without [DIST] and without the option (only its
    # source format recorded): refused unless asked for
    state = dict(torch.load(out, weights_only=True)['state_dict'])
    legacy = _save(tmp_path, 'legacy.pth', dict(
        state_dict=state, meta=dict(source=source,
                                    source_format='deit_distilled')))
    message = _refusal(_distilled_vit(), legacy)
    assert 'convert the original again' in message
    load_vit_pretrained(_distilled_vit(), legacy, drop_dist_token=True)


def _cae_base_like(tmp_path) -> tuple:
    """An official CAE pretraining file (small width: the rename does not
    depend on it) and its final norm."""
    state = official_cae_pretrain(embed_dims=32)
    path = _save(tmp_path, 'cae_pretrain.pth', {'model': state})
    return path, state['encoder.norm.weight'], state['encoder.norm.bias']


def _pooled_vit(**kwargs):
    kwargs.setdefault('out_type', 'avg_featmap')
    kwargs.setdefault('final_norm', False)
    return ViT(arch=dict(TINY, num_heads=2), img_size=32, patch_size=16,
               qkv_bias='qv', layer_scale_init_value=0.1, pos_embed='sincos',
               **kwargs)


def test_norm_to_fc_norm_loads_the_final_norm_into_the_pooled_norm(
        tmp_path):
    path, weight, bias = _cae_base_like(tmp_path)
    # the config path (the ViT passes the key to mmcae.ViTPretrained) ...
    model = _pooled_vit(init_cfg=dict(type='Pretrained', checkpoint=path,
                                      norm_to_fc_norm=True))
    model.init_weights()
    assert torch.equal(model.fc_norm.weight, weight)
    assert torch.equal(model.fc_norm.bias, bias)
    # ... and the initializer itself
    model = _pooled_vit()
    initialize(model, dict(type='mmcae.ViTPretrained', checkpoint=path,
                           norm_to_fc_norm=True))
    assert torch.equal(model.fc_norm.weight, weight)


def test_without_norm_to_fc_norm_the_pooled_norm_starts_at_identity(
        tmp_path):
    path, weight, _ = _cae_base_like(tmp_path)
    model = _pooled_vit()
    assert not torch.allclose(weight, torch.ones_like(weight))
    load_vit_pretrained(model, path)
    assert torch.equal(model.fc_norm.weight, torch.ones(32))
    assert torch.equal(model.fc_norm.bias, torch.zeros(32))


@pytest.mark.parametrize('kwargs', [
    dict(out_type='cls_token', final_norm=True),
    dict(out_type='avg_featmap', final_norm=True),
])
def test_norm_to_fc_norm_needs_a_pooled_model_without_final_norm(
        tmp_path, kwargs):
    path, _, _ = _cae_base_like(tmp_path)
    message = _refusal(_pooled_vit(**kwargs), path, norm_to_fc_norm=True)
    assert ("model.backbone.out_type='avg_featmap' and "
            'model.backbone.final_norm=False') in message


def test_norm_to_fc_norm_needs_a_final_norm_in_the_file(tmp_path):
    source = _save(tmp_path, 'cae_small_ft.pth', _official_cae_finetuned())
    message = _refusal(_finetune_vit(12), source, norm_to_fc_norm=True)
    assert 'has no final norm' in message and 'fc_norm.bias' in message


def test_initializer_options_are_typed():
    from mmcae.checkpoint import ViTPretrainedInit
    with pytest.raises(TypeError, match="norm_to_fc_norm must be True or "
                       "False, got 'yes'"):
        ViTPretrainedInit('x.pth', norm_to_fc_norm='yes')
