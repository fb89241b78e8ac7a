"""mmcae.ViT equals timm's and mmpretrain's ViTs with identical weights.

Each peer model is built, its weights perturbed (so no parameter keeps a
trivial init), saved in the peer's checkpoint layout, converted by
:func:`mmcae.checkpoint.convert_vit_checkpoint` and loaded strictly into
mmcae.ViT; outputs must match to 1e-5 (float32).
"""
import pytest
import torch

from mmcae.checkpoint import convert_vit_checkpoint
from mmcae.models import ViT

from tests.helpers import TINY_VIT as TINY
from tests.helpers import TINY_VIT_MMPRETRAIN as MMPRETRAIN_TINY
from tests.helpers import assert_parity as _assert_close
from tests.helpers import perturb as _perturb


def _load_converted(checkpoint: dict, **vit_kwargs) -> ViT:
    state_dict, _ = convert_vit_checkpoint(checkpoint)
    model = ViT(**vit_kwargs)
    result = model.load_state_dict(state_dict, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    return model.eval()


@pytest.mark.parametrize('init_values', [None, 0.1])
@pytest.mark.parametrize('global_pool', ['token', 'avg'])
def test_parity_with_timm(global_pool, init_values):
    timm = pytest.importorskip('timm')
    from timm.models.vision_transformer import VisionTransformer
    torch.manual_seed(0)
    peer = VisionTransformer(
        img_size=32, patch_size=8, embed_dim=32, depth=2, num_heads=2,
        mlp_ratio=4., qkv_bias=True, init_values=init_values,
        global_pool=global_pool, num_classes=0).eval()
    _perturb(peer)
    assert timm.__version__
    ours = _load_converted(
        {'model': peer.state_dict()},  # MAE / DeiT file layout
        arch=TINY, img_size=32, patch_size=8,
        layer_scale_init_value=init_values or 0.,
        out_type='cls_token' if global_pool == 'token' else 'avg_featmap',
        final_norm=global_pool == 'token')
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = peer.forward_head(peer.forward_features(images),
                                     pre_logits=True)
        _assert_close(ours(images)[0], expected)
        if global_pool == 'token':  # every token, after the final norm
            raw = ViT(arch=TINY, img_size=32, patch_size=8,
                      layer_scale_init_value=init_values or 0.,
                      out_type='raw')
            raw.load_state_dict(ours.state_dict())
            _assert_close(raw.eval()(images)[0], peer.forward_features(images))


@pytest.mark.parametrize('layer_scale', [0., 0.1])
def test_parity_with_mmpretrain_vision_transformer(layer_scale):
    from mmpretrain.models import VisionTransformer
    torch.manual_seed(0)
    peer = VisionTransformer(
        arch=MMPRETRAIN_TINY, img_size=32, patch_size=8, out_type='featmap',
        out_indices=(0, 1), layer_scale_init_value=layer_scale)
    peer.eval()
    _perturb(peer)
    checkpoint = {
        'state_dict': {f'backbone.{k}': v
                       for k, v in peer.state_dict().items()}
    }
    ours = _load_converted(
        checkpoint, arch=TINY, img_size=32, patch_size=8,
        layer_scale_init_value=layer_scale, out_type='featmap',
        out_indices=(0, 1))
    for size in (32, 48):  # 48: both resize the position embedding
        images = torch.randn(2, 3, size, size)
        with torch.no_grad():
            for mine, theirs in zip(ours(images), peer(images)):
                _assert_close(mine, theirs)


@pytest.mark.parametrize('shared', [False, True])
def test_parity_with_mmpretrain_beit(shared):
    from mmpretrain.models import BEiTViT
    torch.manual_seed(0)
    peer = BEiTViT(
        arch=MMPRETRAIN_TINY, img_size=32, patch_size=8,
        out_type='avg_featmap', final_norm=False,
        layer_scale_init_value=0.1, use_abs_pos_emb=False,
        use_rel_pos_bias=not shared, use_shared_rel_pos_bias=shared)
    peer.eval()
    _perturb(peer)
    checkpoint = {
        'state_dict': {f'backbone.{k}': v
                       for k, v in peer.state_dict().items()}
    }
    ours = _load_converted(
        checkpoint, arch=TINY, img_size=32, patch_size=8, qkv_bias='qv',
        layer_scale_init_value=0.1, pos_embed=None, use_rel_pos_bias=True,
        out_type='avg_featmap', final_norm=False)
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        _assert_close(ours(images)[0], peer(images)[0])
