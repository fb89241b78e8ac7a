"""tools/test.py --show-dir / --out / the metric line, on the demo seg,
det and cls configs (the first 4 test images of the small demo sets).

The checkpoints are the freshly built models' weights (what is drawn
does not matter, only that every test image is drawn). The tool's entry
point runs in this process (``engine_tool_in_process``)."""
import os
import pickle
import re

import pytest
import torch
from mmengine.config import Config

from mmcae.analysis import build_model
from mmcae.utils.cli import run_test

from tests.helpers import REPO_ROOT

SEG = 'configs/cae/fpn_vit-tiny-p8_1xb4-200i_demo-ade20k.py'
DET = 'configs/cae/mask-rcnn_vit-tiny-p8_1xb4-12e_demo-coco.py'
CLS = 'configs/cae/benchmarks/vit-tiny-p8_finetune_1xb64-20e_demo-in1k.py'


def _checkpoint(config: str, path) -> str:
    model = build_model(Config.fromfile(f'{REPO_ROOT}/{config}'),
                        random_init=False)
    torch.save(dict(state_dict=model.state_dict()), path)
    return str(path)


def _images(directory) -> list:
    return sorted(name for _, _, names in os.walk(directory)
                  for name in names if name.endswith(('.png', '.jpg')))


def test_seg_show_dir_saves_every_image_and_metrics_once(
        tmp_path, small_demo_sets, engine_tool_in_process):
    checkpoint = _checkpoint(SEG, tmp_path / 'seg.pth')
    # 4 test iterations and a log interval of 2: mmengine alone would
    # print the '[4/4]' line twice (progress, then metrics)
    status, out, err = engine_tool_in_process(
        run_test, SEG, checkpoint, '--work-dir', str(tmp_path / 'work'),
        '--show-dir', str(tmp_path / 'show'), '--cfg-options',
        f'test_dataloader.dataset.data_root={small_demo_sets}/ade20k',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.dataset.indices=4',
        'default_hooks.logger.interval=2',
        prog='tools/test.py')
    log = out + err
    assert status == 0, log[-3000:]
    images = _images(tmp_path / 'show')
    assert len(images) == 4, images
    assert len(re.findall(r'\(test\) \[4/4\]', log)) == 1, log[-3000:]
    assert 'mIoU' in log


def test_det_show_dir_and_rle_out(tmp_path, small_demo_sets,
                                  engine_tool_in_process):
    checkpoint = _checkpoint(DET, tmp_path / 'det.pth')
    coco = f'{small_demo_sets}/coco/'
    out_file = tmp_path / 'results.pkl'
    status, out, err = engine_tool_in_process(
        run_test, DET, checkpoint, '--work-dir', str(tmp_path / 'work'),
        '--show-dir', str(tmp_path / 'show'), '--out', str(out_file),
        '--cfg-options', f'test_dataloader.dataset.data_root={coco}',
        f'test_evaluator.ann_file={coco}annotations/instances_val2017.json',
        'model.test_cfg.rcnn.max_per_img=10',
        'test_dataloader.dataset.indices=4',
        'default_hooks.logger.interval=2',
        prog='tools/test.py')
    log = out + err
    assert status == 0, log[-3000:]
    assert len(_images(tmp_path / 'show')) == 4
    assert len(re.findall(r'\(test\) \[4/4\]', log)) == 1, log[-3000:]
    with open(out_file, 'rb') as f:
        results = pickle.load(f)
    assert len(results) == 4
    dense_bytes = 0
    for result in results:
        masks = result['pred_instances']['masks']
        assert masks, 'no predicted masks to check'
        for mask in masks:
            assert isinstance(mask, dict) and set(mask) == {'size', 'counts'}
        height, width = result['ori_shape']
        dense_bytes += len(masks) * height * width  # one bool a pixel
    # RLE against one byte a pixel (mmengine's DumpResults pickles bool
    # tensors): measured 108 KB for 4 images x 10 instances against
    # 655 KB dense (and with the config's max_per_img=50: 247 KB for 8
    # images, 7.3 MB through mmengine's DumpResults); a quarter at most
    # leaves room for noisier masks of an untrained model
    assert out_file.stat().st_size < dense_bytes / 4, (
        out_file.stat().st_size, dense_bytes)


def test_cls_show_dir(tmp_path, small_demo_sets, engine_tool_in_process):
    checkpoint = _checkpoint(CLS, tmp_path / 'cls.pth')
    status, out, err = engine_tool_in_process(
        run_test, CLS, checkpoint, '--work-dir', str(tmp_path / 'work'),
        '--show-dir', str(tmp_path / 'show'), '--cfg-options',
        f'test_dataloader.dataset.data_root={small_demo_sets}/imagenet',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.dataset.indices=4', prog='tools/test.py')
    assert status == 0, (out + err)[-3000:]
    assert len(_images(tmp_path / 'show')) == 4


def test_show_dir_for_a_scope_without_hook(tmp_path):
    from mmcae.utils.errors import UserError
    from mmcae.utils.test_tool import enable_visualization
    cfg = Config(dict(default_scope='mmengine'))
    with pytest.raises(UserError, match='default_scope'):
        enable_visualization(cfg, show_dir=str(tmp_path))
