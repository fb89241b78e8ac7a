"""load_vit_pretrained: which missing keys are fatal, and a clear error for
a checkpoint file that is not there."""
import pytest
import torch

from mmcae.checkpoint import CheckpointFormatError
from mmcae.checkpoint.load import load_vit_pretrained
from mmcae.models import ViT

from tests.helpers import TINY_VIT as TINY


def _cae_like_encoder(path, layer_scale: float = 0.1) -> dict:
    """An mmcae pretraining checkpoint: a CAE-style encoder (q/v biases,
    layer scale, fixed sin-cos positions, no relative position tables)."""
    torch.manual_seed(0)
    encoder = ViT(arch=TINY, img_size=32, patch_size=8, qkv_bias='qv',
                  layer_scale_init_value=layer_scale, pos_embed='sincos')
    state = {f'backbone.{k}': v + 0.01 * torch.randn_like(v)
             for k, v in encoder.state_dict().items()}
    torch.save(dict(state_dict=state, meta=dict()), path)
    return {k[len('backbone.'):]: v for k, v in state.items()}


def test_relative_position_tables_may_be_missing(tmp_path):
    """The CAE / BEiT segmentation recipe adds zero-initialized relative
    position tables to an encoder pretrained without them."""
    path = str(tmp_path / 'cae.pth')
    pretrained = _cae_like_encoder(path)
    seg_backbone = ViT(arch=TINY, img_size=64, patch_size=8, qkv_bias='qv',
                       layer_scale_init_value=0.1, pos_embed='sincos',
                       use_rel_pos_bias=True, final_norm=False,
                       out_type='featmap', out_indices=(0, 1))
    assert load_vit_pretrained(seg_backbone, path) == 'mmcae'
    state = seg_backbone.state_dict()
    for key, value in pretrained.items():
        if key.startswith('blocks.'):
            assert torch.equal(state[key], value), key
    for block in seg_backbone.blocks:
        assert block.attn.relative_position_bias.table.abs().sum() == 0
    assert state['pos_embed'].shape == (1, 65, 32)  # resized 4x4 -> 8x8


def test_missing_block_weights_stay_fatal(tmp_path):
    path = str(tmp_path / 'no_layer_scale.pth')
    _cae_like_encoder(path, layer_scale=0.)
    model = ViT(arch=TINY, img_size=32, patch_size=8, qkv_bias='qv',
                layer_scale_init_value=0.1, pos_embed='sincos')
    with pytest.raises(CheckpointFormatError, match='blocks.0.gamma_1'):
        load_vit_pretrained(model, path)


def test_missing_file_names_the_config_key(tmp_path):
    model = ViT(arch=TINY, img_size=32, patch_size=8)
    with pytest.raises(FileNotFoundError,
                       match='model.backbone.init_cfg.checkpoint=PATH'):
        load_vit_pretrained(model, str(tmp_path / 'nope.pth'))
