"""CAE reconstructions (arXiv Fig. 4 / App. E Fig. 9, IJCV Fig. 4): the
full-image path is decoder(encoder(all patches)) with the regressor
skipped, the masked path is the model's own training prediction, the
display inverts the target normalization, and the tool writes its grid
and JSON."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample
from PIL import Image

from mmcae.analysis.cae_reconstruction import (
    full_reconstruction, mask_generator, masked_reconstruction,
    patch_statistics, pixel_targets, reconstruct, to_pixels, unpatchify)
from mmcae.utils.errors import UserError
from tests.helpers import REPO_ROOT, perturb, run_python_tool

TOOL = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'cae_reconstruction.py')

#: a pixel-target CAE: 32 px images, 8 px patches (4 x 4 grid), 32 dims
TINY_CAE_CONFIG = """
default_scope = 'mmpretrain'
train_dataloader = dict(dataset=dict(type='mmpretrain.CustomDataset',
    data_root={data_root!r}, with_label=False, pipeline=[
    dict(type='mmcae.CAEBlockMaskGenerator', input_size=4,
         num_masking_patches=8, min_num_patches=2)]))
model = dict(
    type='mmcae.CAE',
    data_preprocessor=dict(type='SelfSupDataPreprocessor',
        mean=[120., 110., 100.], std=[60., 55., 50.], to_rgb=True),
    backbone=dict(type='mmcae.ViT',
        arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                  mlp_hidden_dims=64),
        img_size=32, patch_size=8, qkv_bias='qv',
        layer_scale_init_value=0.1, pos_embed='sincos', out_type='raw'),
    neck=dict(type='mmcae.CAENeck', embed_dims=32, num_heads=2,
              regressor_depth=1, decoder_depth=2, out_channels=192,
              layer_scale_init_value=0.1),
    target='pixels', align_weight={align_weight})
"""


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('cae_reconstruction')
    images = root / 'images'
    images.mkdir()
    rng = np.random.default_rng(0)
    for index in range(3):
        Image.fromarray(rng.integers(0, 255, (36, 40, 3),
                                     np.uint8)).save(images / f'{index}.png')
    configs = {}
    for name, weight in (('align', 2.), ('no_align', 0.)):
        path = root / f'tiny_cae_{name}.py'
        path.write_text(
            TINY_CAE_CONFIG.format(data_root=str(images), align_weight=weight))
        configs[name] = str(path)
    from mmcae.analysis import build_model
    from mmcae.utils.config import load_config
    model = perturb(build_model(load_config(configs['align'])), seed=1)
    checkpoint = root / 'cae.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    return dict(
        root=root,
        images=str(images),
        configs=configs,
        model=model.eval(),
        checkpoint=str(checkpoint))


def _images(seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(2, 3, 32, 32, generator=generator)


def _mask(seed=0):
    generator = torch.Generator().manual_seed(seed)
    mask = torch.zeros(2, 16, dtype=torch.bool)
    for row in mask:
        row[torch.randperm(16, generator=generator)[:8]] = True
    return mask


def test_full_reconstruction_is_decoder_of_encoder(files):
    model = files['model']
    images = _images()
    with torch.no_grad():  # by hand: encoder, + positions, decoder, head
        latents = model.backbone(images)[0][:, 1:]
        x = latents + model.backbone.pos_embed[:, 1:]
        for block in model.neck.decoders:
            x = block(x)
        expected = model.neck.head(model.neck.norm_decoder(x))
    result = full_reconstruction(model, images)
    assert result.shape == (2, 16, 192)
    torch.testing.assert_close(result, expected)
    # the regressor (and its final LayerNorm) plays no part
    saved = {k: v.clone() for k, v in model.neck.state_dict().items()}
    try:
        with torch.no_grad():
            for param in list(model.neck.regressors.parameters()) + list(
                    model.neck.norm_regressor.parameters()):
                param.add_(1.)
        torch.testing.assert_close(
            full_reconstruction(model, images), expected)
        assert not torch.allclose(
            masked_reconstruction(model, images, _mask()),
            expected[_mask()].reshape(2, 8, -1))
    finally:
        model.neck.load_state_dict(saved)


def test_masked_path_is_the_loss_path(files):
    model = files['model']
    images, mask = _images(1), _mask(1)
    captured = []
    handle = model.neck.register_forward_hook(
        lambda module, args, out: captured.append(out[0].detach()))
    samples = []
    for row in mask:
        sample = DataSample()
        sample.set_mask(row.reshape(4, 4).numpy())
        samples.append(sample)
    try:
        with torch.no_grad():
            losses = model.loss(images, samples)
    finally:
        handle.remove()
    prediction = masked_reconstruction(model, images, mask)
    torch.testing.assert_close(prediction, captured[0])
    out = reconstruct(model, images, mask)
    # the same count masked per image: the mean of the per-image MSE is
    # the training reconstruction loss
    assert out['masked_mse'].mean().item() == pytest.approx(
        losses['loss_main'].item(), rel=1e-5)
    # visible patches keep their targets, masked ones get the predictions
    torch.testing.assert_close(out['masked'][~mask], out['target'][~mask])
    torch.testing.assert_close(out['masked'][mask], prediction.flatten(0, 1))


def test_targets_and_display_invert_each_other(files):
    model = files['model']
    images = _images(2)
    patches, mean, std = patch_statistics(images, 8)
    torch.testing.assert_close(unpatchify(patches, (4, 4), 8), images)
    target = pixel_targets(model, images)
    torch.testing.assert_close(
        target.mean(-1), torch.zeros(2, 16), atol=1e-5, rtol=0)
    torch.testing.assert_close(
        target.std(-1), torch.ones(2, 16), atol=1e-4, rtol=0)
    # drawn with the input patches' statistics, the target is the input
    torch.testing.assert_close(
        to_pixels(target, images, 8), images, atol=1e-5, rtol=0)
    # the picture: the preprocessing undone gives the uint8 input back
    from mmcae.analysis.images import denormalize, normalize
    crops = np.random.default_rng(0).integers(0, 255, (2, 8, 8, 3),
                                              np.uint8)
    stats = ([120., 110., 100.], [60., 55., 50.])
    for to_rgb in (True, False):
        np.testing.assert_array_equal(
            denormalize(normalize(crops, *stats, to_rgb), *stats, to_rgb),
            crops)
    # the zero prediction (each patch's mean) scores (D - 1) / D ~ 1
    out = reconstruct(model, images, _mask())
    torch.testing.assert_close(
        out['zero_prediction_mse'],
        torch.full((2, ), 191 / 192, dtype=torch.float64),
        atol=1e-4,
        rtol=0)


def test_mask_generator_is_seeded(files):
    from mmcae.utils.config import load_config
    cfg = load_config(files['configs']['align'])
    first = mask_generator(cfg, seed=3).generate()[0]
    again = mask_generator(cfg, seed=3).generate()[0]
    np.testing.assert_array_equal(first, again)
    assert first.shape == (4, 4) and first.sum() == 8
    del cfg.train_dataloader.dataset.pipeline[0]
    with pytest.raises(UserError, match='MaskGenerator'):
        mask_generator(cfg)


def test_tool_end_to_end(files, tmp_path):
    out_dir = tmp_path / 'out'
    result = run_python_tool(TOOL, '--model', files['configs']['align'],
                             files['checkpoint'], 'align', '--model',
                             files['configs']['no_align'], 'random',
                             'no-align', '--images', files['images'],
                             '--out-dir', str(out_dir))
    assert result.returncode == 0, result.stderr
    assert 'align: normalized-pixel MSE per image, masked:' in result.stdout
    assert osp.getsize(out_dir / 'cae_reconstruction.png') > 0
    record = json.loads((out_dir / 'cae_reconstruction.json').read_text())
    assert [m['label'] for m in record['models']] == ['align', 'no-align']
    for model in record['models']:
        for key in ('masked_mse', 'full_mse', 'zero_prediction_mse'):
            assert len(model[key]) == 3
            assert all(np.isfinite(v) and v >= 0 for v in model[key])
        assert model['mask_ratio'] == 0.5
    # the same config and seed: the same masks for both models
    assert record['models'][0]['masks'] == record['models'][1]['masks']
    assert record['models'][1]['align_weight'] == 0.


def test_bad_input_is_one_message(files, tmp_path):
    from mmcae.analysis.cae_reconstruction import run_cae_reconstruction
    with pytest.raises(UserError, match='checkpoint not found'):
        run_cae_reconstruction(
            [(files['configs']['align'], str(tmp_path / 'missing.pth'), 'x')],
            images=[files['images']])
    with pytest.raises(UserError, match='display must be one of'):
        run_cae_reconstruction([(files['configs']['align'], None, 'x')],
                               display='raw')
