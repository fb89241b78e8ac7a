"""The attention-map tools end to end on tiny models: cls_attention_maps
(CAE Figs. 6, 10) and attentive_probe_maps (CAE Fig. 7) write their PNGs
and JSONs with finite statistics in range, the numbers are the library's,
and bad input is reported as one line."""
import json
import math
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from tests.helpers import REPO_ROOT, TINY_VIT, run_python_tool
from tests.test_analysis.test_attentive_probe_maps import tiny_probe

TOOLS = osp.join(REPO_ROOT, 'tools', 'analysis_tools')

#: the tiny probe of tests/test_analysis/test_attentive_probe_maps.py as a
#: config: a frozen 2-layer mmcae.ViT and an mmcae.AttentiveProbeHead
PROBE_CONFIG = f"""
default_scope = 'mmpretrain'
model = dict(
    type='ImageClassifier',
    backbone=dict(type='mmcae.ViT', arch={TINY_VIT!r}, img_size=32,
                  patch_size=8, qkv_bias='qv', out_type='raw',
                  frozen_stages=2),
    head=dict(type='mmcae.AttentiveProbeHead', num_classes=3,
              in_channels=32, num_heads=2, topk=(1, )))
data_preprocessor = dict(
    num_classes=3, mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375], to_rgb=True)
"""


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('attention_maps')
    images = root / 'images'
    images.mkdir()
    rng = np.random.default_rng(0)
    for index in range(3):
        pixels = rng.integers(0, 255, (40 + 8 * index, 48, 3), np.uint8)
        Image.fromarray(pixels).save(images / f'{index}.png')
    config = root / 'probe.py'
    config.write_text(PROBE_CONFIG)
    model = tiny_probe()
    probe = root / 'probe.pth'
    torch.save(dict(state_dict=model.state_dict()), probe)
    encoder = root / 'encoder.pth'  # an encoder alone, mmcae layout
    torch.save(dict(state_dict=model.backbone.state_dict()), encoder)
    return dict(
        images=str(images),
        config=str(config),
        probe=str(probe),
        encoder=str(encoder),
        model=model)


def _load(path):
    assert osp.isfile(path), path
    with open(path) as f:
        return json.load(f)


def _tool_main(name: str):
    """The tool's ``main``, loaded from its file (run in this process)."""
    import runpy
    return runpy.run_path(osp.join(TOOLS, name))['main']


def _check_statistics(model, num_views):
    assert model['grid'] == [4, 4]
    for kind in num_views:
        stats = model[kind]
        for name, high in [('region_fraction', 1), ('centre_distance', 1),
                           ('centre_distance_patches', math.hypot(2, 2)),
                           ('prefix_mass', 1)]:
            values = np.array(stats[name]['values'])
            assert values.shape == (num_views[kind], ), (kind, name)
            assert np.isfinite(values).all() and (values >= 0).all()
            assert (values <= high).all(), (kind, name)
            assert stats[name]['mean'] == pytest.approx(values.mean())
        # at least one patch of 16, at most the whole grid
        fractions = np.array(stats['region_fraction']['values']) * 16
        np.testing.assert_allclose(fractions, np.round(fractions))
        assert (fractions >= 1).all()
    assert model['uniform']['region_fraction'] == 0.5


def test_cls_attention_maps_tool(files, tmp_path, capsys):
    out = tmp_path / 'cls'
    record = _tool_main('cls_attention_maps.py')([
        '--model', files['config'], files['probe'], 'probe-encoder', '--vit',
        files['encoder'], 'vit', '--arch',
        json.dumps(TINY_VIT), '--patch-size', '8', '--qkv-bias', 'qv',
        '--img-dir', files['images'], '--img-size', '32', '--num-crops', '2',
        '--batch-size', '2', '--out-dir',
        str(out)
    ])
    printed = capsys.readouterr().out
    assert 'probe-encoder (whole): 50%-mass region' in printed
    assert 'vit (crops): 50%-mass region' in printed
    assert record == _load(out / 'cls_attention_maps.json')
    assert (out / 'cls_attention_maps.png').is_file()
    assert (out / 'cls_attention_maps_crops.png').is_file()
    assert record['num_images'] == 3 and record['num_crops'] == 2
    assert len(record['crop_boxes']) == 6 and record['mass'] == 0.5
    assert 'raster order' in record['tie_rule']
    assert [m['label'] for m in record['models']] == ['probe-encoder', 'vit']
    for model in record['models']:
        _check_statistics(model, dict(whole=3, crops=6))
    # the same encoder both ways (config + whole-model checkpoint, and
    # --vit + encoder checkpoint), the same normalization: the same maps
    probe, vit = record['models']
    for kind in ('whole', 'crops'):
        np.testing.assert_allclose(
            probe[kind]['centre_distance']['values'],
            vit[kind]['centre_distance']['values'],
            rtol=1e-5)
    # the numbers are those of the library on the same views
    from mmcae.analysis import cls_attention_maps, load_images
    maps, _ = cls_attention_maps(files['model'].backbone,
                                 load_images(record['images'], 32))
    from mmcae.analysis import map_statistics
    expected = map_statistics(maps)
    np.testing.assert_allclose(
        vit['whole']['centre_distance']['values'],
        expected['centre_distance']['values'],
        rtol=1e-5)
    assert vit['whole']['region_fraction']['values'] == \
        expected['region_fraction']['values']


def test_attentive_probe_maps_tool(files, tmp_path):
    out = tmp_path / 'probe'
    result = run_python_tool(
        osp.join(TOOLS, 'attentive_probe_maps.py'), '--model', files['config'],
        files['probe'], 'probe', '--img-dir', files['images'], '--num-images',
        '2', '--out-dir', str(out))
    assert result.returncode == 0, result.stderr
    assert 'probe (whole): 50%-mass region' in result.stdout
    record = _load(out / 'attentive_probe_maps.json')
    assert (out / 'attentive_probe_maps.png').is_file()
    assert not (out / 'attentive_probe_maps_crops.png').exists()
    assert record['img_size'] == 32  # the config's backbone img_size
    assert record['num_images'] == 2 and record['num_crops'] == 0
    (model, ) = record['models']
    assert model['use_cls_token'] and 'crops' not in model
    _check_statistics(model, dict(whole=2))
    from mmcae.analysis import load_images, map_statistics
    from mmcae.analysis import probe_attention_maps
    maps, prefix = probe_attention_maps(files['model'],
                                        load_images(record['images'], 32))
    expected = map_statistics(maps, prefix)
    for name in ('centre_distance', 'prefix_mass'):
        np.testing.assert_allclose(
            model['whole'][name]['values'],
            expected[name]['values'],
            rtol=1e-5)


def test_attentive_probe_maps_bad_input(files, tmp_path, capsys):
    from mmcae.utils.cli import run_tool
    main = _tool_main('attentive_probe_maps.py')
    # an encoder checkpoint is not a trained probe: the head keys miss
    status = run_tool(main, [
        '--model', files['config'], files['encoder'], 'probe', '--img-dir',
        files['images'], '--out-dir',
        str(tmp_path)
    ])
    error = capsys.readouterr().err
    assert status == 2, error
    assert 'encoder.pth' in error and 'head.' in error
    from mmcae.analysis import run_attentive_probe_maps
    from mmcae.utils.errors import UserError
    linear = tmp_path / 'linear.py'
    linear.write_text(
        PROBE_CONFIG.replace("type='mmcae.AttentiveProbeHead'",
                             "type='LinearClsHead'").replace(
                                 'num_heads=2, ', ''))
    with pytest.raises(UserError, match='is not an attentive probe'):
        run_attentive_probe_maps([(str(linear), None, 'linear')],
                                 files['images'])
    from mmcae.analysis.cli import (attentive_probe_parser,
                                    parse_attention_map_args)
    with pytest.raises(SystemExit):
        parse_attention_map_args(attentive_probe_parser(), [
            '--model', files['config'], 'random', 'x', '--img-dir',
            files['images'], '--mass', '0'
        ])
