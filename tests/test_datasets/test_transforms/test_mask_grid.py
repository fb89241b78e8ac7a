"""A CAE mask that cannot train: every patch masked (refused by the
generator) or a grid other than the images' (refused by the model with
the config keys to fix). The config-time check is in
tests/test_utils/test_config_keys.py."""
import numpy as np
import pytest
import torch
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from mmcae.datasets.transforms import CAEBlockMaskGenerator
from mmcae.utils.errors import UserError


@pytest.mark.parametrize('input_size, count, grid', [
    (14, 196, '14x14'),
    (14, 250, '14x14'),
    ((4, 6), 24, '4x6'),
])
def test_masking_every_patch_is_refused(input_size, count, grid):
    with pytest.raises(ValueError) as error:
        CAEBlockMaskGenerator(input_size=input_size,
                              num_masking_patches=count)
    message = str(error.value)
    total = 24 if grid == '4x6' else 196
    assert message.startswith(
        f'num_masking_patches = {count} masks every patch of the {grid} '
        'patch grid (input_size = ')
    assert 'the encoder would see no patch' in message
    assert f'Set num_masking_patches below {total} (CAE masks about half: ' \
        f'{total // 2})' in message


def test_all_but_one_patch_is_allowed():
    mask, _ = CAEBlockMaskGenerator(
        input_size=4, num_masking_patches=15, min_num_patches=2,
        seed=0).generate()
    assert int(mask.sum()) == 15 and mask.shape == (4, 4)


def _tiny_cae():
    cfg = dict(
        type='mmcae.CAE',
        backbone=dict(
            type='mmcae.ViT',
            arch=dict(embed_dims=32, num_layers=1, num_heads=2,
                      mlp_hidden_dims=64),
            img_size=32, patch_size=8, pos_embed='sincos', out_type='raw'),
        neck=dict(type='mmcae.CAENeck', embed_dims=32, num_heads=2,
                  regressor_depth=1, decoder_depth=1, out_channels=8 * 8 * 3),
        target='pixels', target_generator=None)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return ROOT_MODELS.build(cfg)


def _samples(grid, count, batch=2):
    samples = []
    for index in range(batch):
        mask = np.zeros(grid[0] * grid[1], dtype=bool)
        mask[np.random.default_rng(index).choice(mask.size, count,
                                                 replace=False)] = True
        sample = DataSample()
        sample.set_mask(mask.reshape(grid))
        samples.append(sample)
    return samples


def test_cae_names_the_config_keys_for_a_mask_of_another_grid():
    """A 14 x 14 mask (the paper's 224 / 16) with 32 px images and 8 px
    patches (a 4 x 4 grid): without the check the backbone fails with
    'keep_mask must be (B, num_patches) = (2, 16)', no config key."""
    model = _tiny_cae()
    images = torch.randn(2, 3, 32, 32)
    with pytest.raises(UserError) as error:
        model.loss(images, _samples((14, 14), 98))
    assert str(error.value) == (
        'CAE: the patch masks from the data pipeline are 14x14 but the '
        '32x32 images with model.backbone.patch_size = 8 have a 4x4 patch '
        'grid: set input_size of the mmcae.CAEBlockMaskGenerator in '
        'train_dataloader.dataset.pipeline to 4, or change the pipeline\'s '
        'crop size or model.backbone.patch_size to give its grid')
    # the right grid trains
    losses = model.loss(images, _samples((4, 4), 8))
    assert torch.isfinite(losses['loss_main'])
