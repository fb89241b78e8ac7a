"""The detection benchmark's pieces: the encoder read from a checkpoint
and the generated config."""
import ast

import pytest
import torch

from mmcae.benchmark.detection import (derived_config,
                                       encoder_of_checkpoint,
                                       pyramid_out_indices)
from mmcae.utils.errors import UserError


def test_encoder_of_checkpoint(tmp_path):
    from mmcae.models import ViT
    vit = ViT(arch=dict(embed_dims=64, num_layers=4, num_heads=4,
                        mlp_hidden_dims=256), img_size=32, patch_size=8,
              qkv_bias='qv', layer_scale_init_value=0.1)
    path = tmp_path / 'encoder.pth'
    torch.save(dict(state_dict=vit.state_dict()), path)
    assert encoder_of_checkpoint(str(path)) == dict(
        embed_dims=64, num_layers=4, num_heads=4, mlp_hidden_dims=256,
        patch_size=8, qkv_bias='qv', layer_scale=True)
    assert encoder_of_checkpoint(str(path), num_heads=2)['num_heads'] == 2


def test_pyramid_out_indices():
    assert pyramid_out_indices(12) == [3, 5, 7, 11]
    assert pyramid_out_indices(4) == [0, 1, 2, 3]
    assert pyramid_out_indices(8) == [1, 3, 5, 7]


def test_derived_config():
    encoder = dict(embed_dims=64, num_layers=4, num_heads=4,
                   mlp_hidden_dims=256, patch_size=8, qkv_bias='qv',
                   layer_scale=True)
    text = derived_config('configs/base.py', '/data/coco/', 120, 3, encoder,
                          '/w/encoder.pth')
    ast.parse(text)
    for line in ('max_iters=120', 'milestones=[90, 110]', 'end=12)',
                 "scales=(2, 1, 0.5, 0.25)", 'randomness = dict(seed=3)',
                 "'checkpoint': '/w/encoder.pth'",
                 "'out_indices': [0, 1, 2, 3]"):
        assert line in text, line
    with pytest.raises(UserError, match='patch size 14'):
        derived_config('b.py', '/d/', 120, 0, dict(encoder, patch_size=14),
                       None)
    with pytest.raises(UserError, match='2 blocks is too shallow'):
        derived_config('b.py', '/d/', 120, 0, dict(encoder, num_layers=2),
                       None)
