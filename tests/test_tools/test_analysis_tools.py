"""The attention analysis tools end to end on tiny models: attention
distance (Fig. 3), decoder attention similarity (Eq. 3, Fig. 1a) and
relative attention maps (Fig. 2) write their PNGs and JSONs with finite
numbers in range, and report bad input as one line. The analyses are the
library's (mmcae.analysis); the command lines run as a user runs them."""
import json
import math
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmcae.utils.errors import UserError
from tests.helpers import REPO_ROOT, TINY_VIT, perturb, run_python_tool

TOOLS = osp.join(REPO_ROOT, 'tools', 'analysis_tools')

#: an mmpretrain MAE: 32 px images, 8 px patches, 2 + 2 layers of 32 dims
TINY_MAE_CONFIG = """
default_scope = 'mmpretrain'
model = dict(
    type='MAE',
    backbone=dict(
        type='MAEViT',
        arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                  feedforward_channels=64),
        img_size=32,
        patch_size=8,
        mask_ratio={mask_ratio}),
    neck=dict(
        type='MAEPretrainDecoder',
        num_patches=16,
        patch_size=8,
        in_chans=3,
        embed_dim=32,
        decoder_embed_dim=32,
        decoder_depth=2,
        decoder_num_heads=2,
        mlp_ratio=2.),
    head=dict(
        type='MAEPretrainHead',
        norm_pix=True,
        patch_size=8,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')))
"""


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('analysis_tools')
    images = root / 'images'
    (images / 'sub').mkdir(parents=True)
    rng = np.random.default_rng(0)
    for index in range(4):
        pixels = rng.integers(0, 255, (40 + 8 * index, 48, 3), np.uint8)
        folder = images / 'sub' if index % 2 else images
        Image.fromarray(pixels).save(folder / f'{index}.png')
    configs = []
    for ratio in (0.75, 0.5):
        path = root / f'tiny_mae_{ratio}.py'
        path.write_text(TINY_MAE_CONFIG.format(mask_ratio=ratio))
        configs.append(str(path))
    torch.manual_seed(0)
    from mmcae.models import ViT
    vit = perturb(ViT(arch=TINY_VIT, img_size=32, patch_size=8), seed=1)
    checkpoint = root / 'vit.pth'
    torch.save(
        dict(state_dict={f'backbone.{k}': v
                         for k, v in vit.state_dict().items()}),
        checkpoint)
    return dict(
        root=root,
        images=str(images),
        configs=configs,
        vit=vit.eval(),
        checkpoint=str(checkpoint))


def _load(path):
    assert osp.isfile(path), path
    with open(path) as f:
        return json.load(f)


def test_attention_distance_tool(files, tmp_path, capsys):
    out = tmp_path / 'out'
    arch = json.dumps(TINY_VIT)
    result = run_python_tool(
        osp.join(TOOLS, 'attention_distance.py'), '--model',
        files['configs'][0], 'random', '0.75', '--model',
        files['configs'][1], 'random', '0.5', '--img-dir', files['images'],
        '--num-images', '3', '--img-size', '32', '--out-dir', str(out),
        '--random-init', '--batch-size', '2', '--label-name', 'mask ratio')
    assert result.returncode == 0, result.stderr
    assert '0.75: mean attention distance per layer' in result.stdout
    record = _load(out / 'attention_distance.json')
    assert (out / 'attention_distance.png').is_file()
    assert (out / 'attention_distance_by_label.png').is_file()  # Fig. 3b
    assert record['num_images'] == 3 and record['img_size'] == 32
    assert [m['label'] for m in record['models']] == ['0.75', '0.5']
    for model in record['models']:
        distances = np.array(model['distances'])
        assert distances.shape == (2, 2)  # layers x heads
        assert model['max_distance'] == pytest.approx(8 * math.hypot(3, 3))
        assert np.isfinite(distances).all()
        assert ((distances > 0) & (distances < model['max_distance'])).all()
        np.testing.assert_allclose(model['mean_per_layer'],
                                   distances.mean(axis=1))

    # an encoder checkpoint through load_vit_pretrained, with a config
    # model: string labels, so Fig. 3a only; the numbers are the model's
    from mmcae.analysis import run_attention_distance
    from mmcae.analysis.cli import parse_arch
    out = tmp_path / 'vit'
    record = run_attention_distance(
        vits=[(files['checkpoint'], 'vit')],
        arch=parse_arch(arch),
        patch_size=8,
        models=[(files['configs'][0], None, 'mae')],
        img_dir=files['images'],
        img_size=32,
        renormalize=False,
        out_dir=str(out))
    assert (out / 'attention_distance.png').is_file()
    assert not (out / 'attention_distance_by_label.png').exists()
    assert record == _load(out / 'attention_distance.json')
    assert [m['label'] for m in record['models']] == ['mae', 'vit']
    assert record['num_images'] == 4  # all of --img-dir (default 50)
    from mmcae.analysis import load_images, model_attention_distance
    expected = model_attention_distance(
        files['vit'], load_images(record['images'], 32), renormalize=False)
    np.testing.assert_allclose(
        record['models'][1]['distances'], expected, rtol=1e-5)
    with pytest.raises(UserError, match='checkpoint not found: .*nope.pth'):
        run_attention_distance(
            vits=[(str(tmp_path / 'nope.pth'), 'x')],
            img_dir=files['images'])
    from mmcae.analysis.cli import parse_attention_distance_args
    with pytest.raises(SystemExit):  # argparse: no model at all
        parse_attention_distance_args(['--img-dir', files['images']])
    assert 'give at least one --model or --vit' in capsys.readouterr().err


def test_decoder_attention_similarity_tool(files, tmp_path, capsys):
    from mmcae.analysis import run_decoder_similarity
    out = tmp_path / 'similarity'
    record = run_decoder_similarity(
        config=files['configs'][0],
        img_dir=files['images'],
        num_images=3,
        seed=1,
        batch_size=2,
        out_dir=str(out))
    assert (out / 'decoder_attention_similarity.png').is_file()
    assert record == _load(out / 'decoder_attention_similarity.json')
    similarity = np.array(record['similarity'])
    assert similarity.shape == (2, )
    assert np.isfinite(similarity).all()
    assert ((similarity > 0) & (similarity <= 1 + 1e-9)).all()
    assert record['num_images'] == 3 and record['grid'] == [4, 4]
    assert len(record['masked_index']) == 12  # 75 % of 16, one fixed mask
    # a bad checkpoint and a bad image size: one line, exit status 2
    bad = run_python_tool(
        osp.join(TOOLS, 'decoder_attention_similarity.py'),
        files['configs'][0], files['checkpoint'], '--img-dir',
        files['images'])
    assert bad.returncode == 2
    assert 'vit.pth does not fit' in bad.stderr
    assert 'Traceback' not in bad.stderr
    with pytest.raises(UserError, match='--img-size 64: .* 32 x 32'):
        run_decoder_similarity(
            config=files['configs'][0], img_dir=files['images'],
            img_size=64)
    from mmcae.analysis.cli import decoder_arg_parser, parse_decoder_args
    parser = decoder_arg_parser('decoder_attention_similarity.py', '')
    with pytest.raises(SystemExit):  # neither checkpoint nor random init
        parse_decoder_args(parser,
                           [files['configs'][0], '--img-dir', files['images']])
    assert 'give a CHECKPOINT, or --random-init' in capsys.readouterr().err


def test_relative_attention_maps_tool(files, tmp_path):
    from mmcae.analysis import run_relative_attention_maps
    out = tmp_path / 'maps'
    record = run_relative_attention_maps(
        config=files['configs'][1],
        img_dir=files['images'],
        num_images=2,
        radius=2,
        out_dir=str(out))
    assert (out / 'relative_attention_maps.png').is_file()
    assert record == _load(out / 'relative_attention_maps.json')
    maps = np.array(record['relative_maps'])
    assert maps.shape == (2, 7, 7) and record['offset_origin'] == [3, 3]
    assert len(record['masked_index']) == 8  # mask ratio 0.5 of 16
    assert np.isfinite(maps).all() and (maps >= 0).all()
    for layer_map, summary in zip(maps, record['summaries']):
        # the mask tokens' attention on patches: below 1 ([CLS] has some)
        assert 0 < layer_map.sum() < 1
        assert summary['patch_mass'] == pytest.approx(layer_map.sum())
        assert summary['centre'] == pytest.approx(layer_map[3, 3])
        assert summary['centre'] <= summary['mass_within_1'] <= \
            summary['mass_within_2'] <= summary['patch_mass'] + 1e-12
        assert 0 < summary['mean_offset'] < math.hypot(3, 3)
