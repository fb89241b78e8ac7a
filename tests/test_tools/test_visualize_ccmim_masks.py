"""tools/analysis_tools/visualize_ccmim_masks.py: the grid darkens exactly
the masked patches the JSON reports, counts are exact, the seed fixes the
sampling, checkpoints load strictly and bad input is a clear error."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmcae.utils.errors import UserError

from ..conftest import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs', 'ccmim',
                  'ccmim_vit-tiny-p8_1xb32-10e_demo-in1k.py')


def _tool():
    spec = importlib.util.spec_from_file_location(
        'visualize_ccmim_masks',
        osp.join(REPO_ROOT, 'tools', 'analysis_tools',
                 'visualize_ccmim_masks.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp('vis_images')
    rng = np.random.default_rng(0)
    for index in range(3):
        pixels = rng.integers(0, 255, (80, 96, 3), dtype=np.uint8)
        pixels[20:60, 30:70] = (200, 40 * index, 60)
        Image.fromarray(pixels).save(root / f'{index}.png')
    return str(root)


def _run(tool, tmp_path, images, *extra):
    out = str(tmp_path / 'grid.png')
    record_path = str(tmp_path / 'grid.json')
    tool.main([CONFIG, '--images', images, '--out', out, '--save-json',
               record_path, '--scale', '1', *extra])
    with open(record_path) as f:
        return out, json.load(f)


def test_grid_darkens_exactly_the_masked_patches(tmp_path, images):
    tool = _tool()
    out, record = _run(tool, tmp_path, images, '--strategies',
                       'importance_sampling', 'random', '--show-importance')
    assert record['columns'] == [
        'image', 'init importance_sampling', 'init random', 'init importance'
    ]
    size, patch, header = record['img_size'], record['patch_size'], \
        record['header']
    grid = np.asarray(Image.open(out).convert('RGB'))
    assert grid.shape == (header + 3 * size, 4 * size, 3)
    paths = record['images']
    assert [osp.basename(p) for p in paths] == ['0.png', '1.png', '2.png']
    grid_w = record['grid'][1]
    for entry_index, entry in enumerate(record['entries'][:2]):
        column = entry_index + 1
        for row, masked in enumerate(entry['masked']):
            assert len(masked) == record['num_masked'] == 48
            source = tool.load_image(paths[row], size).astype(np.float32)
            tile = grid[header + row * size:header + (row + 1) * size,
                        column * size:(column + 1) * size].astype(np.float32)
            first = grid[header + row * size:header + (row + 1) * size,
                         :size]
            assert np.array_equal(first, source.astype(np.uint8))
            for index in range(grid_w * grid_w):
                r, c = divmod(index, grid_w)
                window = (slice(r * patch, (r + 1) * patch),
                          slice(c * patch, (c + 1) * patch))
                expected = source[window] * (0.3 if index in masked else 1)
                assert np.abs(tile[window] -
                              np.floor(expected)).max() <= 1, (row, index)
    importance = record['entries'][2]['importance']
    assert np.array(importance).shape == (3, 64)


def test_seed_fixes_the_sampling(tmp_path, images):
    tool = _tool()
    _, first = _run(tool, tmp_path / 'a', images, '--seed', '3')
    _, again = _run(tool, tmp_path / 'b', images, '--seed', '3')
    _, other = _run(tool, tmp_path / 'c', images, '--seed', '4')
    assert first['entries'][0]['masked'] == again['entries'][0]['masked']
    assert first['entries'][0]['masked'] != other['entries'][0]['masked']


def test_checkpoints_load_and_bad_ones_are_named(tmp_path, images):
    tool = _tool()
    from mmengine.config import Config
    model = tool.build_ccmim(Config.fromfile(CONFIG))
    torch.manual_seed(5)
    model.init_weights()
    with torch.no_grad():
        for param in model.backbone.parameters():
            param.add_(torch.randn_like(param) * 0.2)
    good = str(tmp_path / 'trained.pth')
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, good)
    _, record = _run(tool, tmp_path, images, '--checkpoints', good,
                     '--labels', 'trained', '--strategies', 'importance',
                     '--show-importance')
    importance = np.array(record['entries'][1]['importance'])
    with torch.no_grad():
        crops = np.stack([tool.load_image(p, 64) for p in record['images']])
        expected = model.eval().backbone.cls_attention(
            tool.normalize(crops, Config.fromfile(CONFIG)),
            'patch_to_cls').sum(1).numpy()
    np.testing.assert_allclose(importance, expected, rtol=1e-4, atol=1e-6)
    # pure importance: the top-48 patches of that importance
    for row, masked in enumerate(record['entries'][0]['masked']):
        top = set(np.argsort(-expected[row])[:48].tolist())
        assert set(masked) == top
    encoder_only = str(tmp_path / 'encoder.pth')
    torch.save({'state_dict': model.backbone.state_dict()}, encoder_only)
    with pytest.raises(UserError, match='encoder.pth does not fit'):
        _run(tool, tmp_path, images, '--checkpoints', encoder_only)
    with pytest.raises(UserError, match='not found'):
        _run(tool, tmp_path, images, '--checkpoints',
             str(tmp_path / 'missing.pth'))


def test_bad_inputs(tmp_path, images):
    tool = _tool()
    with pytest.raises(UserError, match='no image files'):
        _run(tool, tmp_path, str(tmp_path))
    cae = osp.join(REPO_ROOT, 'configs', 'cae',
                   'cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py')
    with pytest.raises(UserError, match='not mmcae.CcMIM'):
        tool.main([cae, '--images', images, '--out',
                   str(tmp_path / 'x.png')])
