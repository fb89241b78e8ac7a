"""tools/analysis_tools/visualize_ccmim_masks.py and its library
(mmcae.analysis.ccmim_masks): the grid darkens exactly the masked patches
the JSON reports, counts are exact, the seed fixes the sampling, random init
is reproducible, checkpoints load strictly and bad input is a clear error
naming the file."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmcae.analysis import (build_ccmim, draw_ccmim_masks, load_image,
                            preprocessor_normalize)
from mmcae.analysis.cli import parse_ccmim_masks_args
from mmcae.checkpoint import UnsafeCheckpointError
from mmcae.utils.errors import UserError

from tests.helpers import REPO_ROOT, run_python_tool

CONFIG = osp.join(REPO_ROOT, 'configs', 'ccmim',
                  'ccmim_vit-tiny-p8_1xb32-10e_demo-in1k.py')
CLASSES = ('ball', 'box', 'tent', 'flag', 'clock', 'plate', 'signboard',
           'flower')  # the demo set's, in the config's metainfo


TOOL = 'tools/analysis_tools/visualize_ccmim_masks.py'


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp('vis_images')
    rng = np.random.default_rng(0)
    for index in range(3):
        pixels = rng.integers(0, 255, (80, 96, 3), dtype=np.uint8)
        pixels[20:60, 30:70] = (200, 40 * index, 60)
        Image.fromarray(pixels).save(root / f'{index}.png')
    (root / 'notes.txt').write_text('not an image')
    return str(root)


def _run(tmp_path, images, config=CONFIG, **options):
    """draw_ccmim_masks with the grid and the JSON under ``tmp_path``; the
    record as read back from the JSON."""
    out = str(tmp_path / 'grid.png')
    record_path = str(tmp_path / 'grid.json')
    draw_ccmim_masks(
        config,
        out=out,
        save_json=record_path,
        images=[images] if images else None,
        **options)
    with open(record_path) as f:
        return out, json.load(f)


@pytest.fixture(scope='module')
def seed3_cli(tmp_path_factory, images):
    """The command line once (seed 3): the JSON it writes and its stdout."""
    root = tmp_path_factory.mktemp('vis_cli')
    result = run_python_tool(TOOL, CONFIG, '--out', str(root / 'grid.png'),
                             '--save-json', str(root / 'grid.json'),
                             '--images', images, '--seed', '3')
    assert result.returncode == 0, result.stderr[-2000:]
    with open(root / 'grid.json') as f:
        return json.load(f), result.stdout


def _patches(size, patch):
    grid_w = size // patch
    for index in range(grid_w * grid_w):
        r, c = divmod(index, grid_w)
        yield index, (slice(r * patch,
                            (r + 1) * patch), slice(c * patch,
                                                    (c + 1) * patch))


def test_grid_darkens_exactly_the_masked_patches(tmp_path, images):
    out, record = _run(
        tmp_path,
        images,
        scale=1,
        strategies=['importance_sampling', 'random', 'block'],
        show_importance=True)
    assert record['columns'] == [
        'image', 'init importance_sampling', 'init random', 'init block',
        'init importance map'
    ]
    assert record['mode'] == 'eval'
    (size, _), patch = record['img_size'], record['patch_size']
    header = record['header']
    assert (size, patch, record['grid']) == (64, 8, [8, 8])
    grid = np.asarray(Image.open(out).convert('RGB'))
    # rows x columns of 64 px tiles under the label header
    assert grid.shape == (header + 3 * size, 5 * size, 3)
    paths = record['images']
    assert [osp.basename(p) for p in paths] == ['0.png', '1.png', '2.png']
    sources = [load_image(p, size) for p in paths]

    def tile(row, column):
        return grid[header + row * size:header + (row + 1) * size,
                    column * size:(column + 1) * size]

    divisions = [e for e in record['entries'] if e['strategy']]
    assert [e['column'] for e in divisions] == [1, 2, 3]
    for entry in divisions:
        for row, masked in enumerate(entry['masked']):
            # the division's count, exactly, for every strategy
            assert len(masked) == len(set(masked)) == record['num_masked']
            assert record['num_masked'] == 64 - int(64 * (1 - 0.75)) == 48
            source = sources[row].astype(np.float32)
            assert np.array_equal(tile(row, 0), sources[row])
            shown = tile(row, entry['column']).astype(np.float32)
            for index, window in _patches(size, patch):
                if index in masked:
                    expected = np.floor(source[window] * record['darken'])
                    assert np.abs(shown[window] - expected).max() <= 1, \
                        (entry['strategy'], row, index)
                else:  # visible: untouched
                    assert np.array_equal(shown[window], source[window]), \
                        (entry['strategy'], row, index)
    heat = record['entries'][-1]
    assert heat['column'] == 4 and heat['strategy'] is None
    assert np.array(heat['importance']).shape == (3, 64)
    # default scale: tiles of 128 px
    out, record = _run(tmp_path / 'big', images, num_images=2)
    assert record['scale'] == 2 and len(record['images']) == 2
    assert Image.open(out).size == (2 * 128, record['header'] + 2 * 128)


def test_seed_fixes_the_sampling(tmp_path, images, seed3_cli):
    first, stdout = seed3_cli  # the command line ...
    _, again = _run(tmp_path / 'b', images, seed=3)  # ... and the library
    _, other = _run(tmp_path / 'c', images, seed=4)
    assert '3 images x 2 columns (image, init importance_sampling)' in stdout
    assert first['columns'][1] == 'init importance_sampling'  # the config's
    masks = [r['entries'][0]['masked'] for r in (first, again, other)]
    assert masks[0] == masks[1]
    assert masks[0] != masks[2]
    # the random init is the same in every run (config's randomness.seed)
    assert first['entries'][1]['importance'] == \
        other['entries'][1]['importance']


def test_checkpoints_load_and_bad_ones_are_named(tmp_path, images):
    from mmengine.runner import save_checkpoint
    cfg = Config.fromfile(CONFIG)
    model = build_ccmim(cfg, seed=5)
    with torch.no_grad():
        for param in model.backbone.parameters():
            param.add_(torch.randn_like(param) * 0.2)
    good = str(tmp_path / 'trained.pth')
    save_checkpoint({
        'state_dict': model.state_dict(),
        'meta': dict(epoch=3)
    }, good)
    _, record = _run(
        tmp_path,
        images,
        scale=1,
        checkpoints=['init', good],
        labels=['iter 0', 'trained'],
        strategies=['importance', 'importance_sampling'],
        show_importance=True)
    assert record['columns'] == [
        'image', 'iter 0 importance', 'iter 0 importance_sampling',
        'iter 0 importance map', 'trained importance',
        'trained importance_sampling', 'trained importance map'
    ]
    trained = [e for e in record['entries'] if e['label'] == 'trained']
    assert trained[0]['checkpoint'] == good
    with torch.no_grad():
        crops = np.stack([load_image(p, 64) for p in record['images']])
        expected = model.eval().backbone.cls_attention(
            preprocessor_normalize(crops, cfg),
            model.attention_direction).sum(1).numpy()
    np.testing.assert_allclose(
        np.array(trained[2]['importance']), expected, rtol=1e-4, atol=1e-6)
    # pure importance: the 48 patches of highest importance
    for row, masked in enumerate(trained[0]['masked']):
        assert set(masked) == set(np.argsort(-expected[row])[:48].tolist())
    # the init columns are those of a run without checkpoints
    _, plain = _run(tmp_path / 'plain', images,
                    strategies=['importance', 'importance_sampling'])
    init = [e for e in record['entries'] if e['label'] == 'iter 0']
    assert [e['masked'] for e in init[:2]] == \
        [e['masked'] for e in plain['entries'][:2]]
    assert init[0]['masked'] != trained[0]['masked']

    encoder_only = str(tmp_path / 'encoder.pth')
    torch.save({'state_dict': model.backbone.state_dict()}, encoder_only)
    with pytest.raises(UserError, match='encoder.pth does not fit'):
        _run(tmp_path, images, checkpoints=[encoder_only])
    state = model.state_dict()
    state['backbone.pos_embed'] = torch.zeros(1, 17, 64)
    other_size = str(tmp_path / 'other_size.pth')
    torch.save({'state_dict': state}, other_size)
    with pytest.raises(
            UserError, match=r'other_size.pth does not fit.*pos_embed'):
        _run(tmp_path, images, checkpoints=[other_size])
    garbage = tmp_path / 'garbage.pth'
    garbage.write_bytes(b'not a checkpoint at all')
    with pytest.raises((UserError, UnsafeCheckpointError),
                       match='garbage.pth'):
        _run(tmp_path, images, checkpoints=[str(garbage)])
    with pytest.raises(UserError, match='not found: .*missing.pth'):
        _run(tmp_path, images, checkpoints=[str(tmp_path / 'missing.pth')])


def test_images_from_the_config_training_set(tmp_path):
    root = tmp_path / 'imagenet'
    for index, name in enumerate(CLASSES):
        folder = root / 'train' / name
        folder.mkdir(parents=True)
        for number in range(2):
            pixels = np.full((48, 40, 3), 20 * index + number, np.uint8)
            Image.fromarray(pixels).save(folder / f'{name}_{number}.png')
    options = {'train_dataloader.dataset.data_root': str(root)}
    _, record = _run(tmp_path, None, num_images=5, cfg_options=options)
    _, again = _run(tmp_path / 'b', None, num_images=5, seed=9,
                    cfg_options=options)
    assert len(record['images']) == 5
    assert record['images'] == again['images']  # a fixed selection
    assert len({osp.dirname(p) for p in record['images']}) > 1
    with pytest.raises(UserError, match='pass --images'):
        _run(tmp_path, None, cfg_options={
            'train_dataloader.dataset.data_root': str(tmp_path / 'nowhere')})


def test_bad_inputs(tmp_path, images, capsys):
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(UserError, match='no image files'):
        _run(tmp_path, str(empty))
    cae = osp.join(REPO_ROOT, 'configs', 'cae',
                   'cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py')
    with pytest.raises(UserError, match='not mmcae.CcMIM'):
        _run(tmp_path, images, config=cae)
    with pytest.raises(SystemExit):  # argparse: one label per checkpoint
        parse_ccmim_masks_args([CONFIG, '--images', images, '--labels', 'a',
                                'b'])
    assert '--labels needs one label per checkpoint' in \
        capsys.readouterr().err
