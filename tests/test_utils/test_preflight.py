"""The preflight check (mmcae.utils.preflight): every missing data root,
annotation file and pretrained checkpoint of a run in one message, before
anything is built (issue 21); in tools/train.py, tools/test.py and once
before torchrun in tools/dist_train.sh."""
import os.path as osp

import pytest

from mmcae.utils.cli import run_test, run_train
from mmcae.utils.config import load_config
from mmcae.utils.errors import UserError
from mmcae.utils.preflight import PreflightError, find_problems, preflight

from tests.helpers import free_port, run_cmd

SEG_DEMO = 'configs/cae/upernet_vit-tiny-p8_1xb4-200i_demo-ade20k.py'
TINY_CLS = 'tests/data/configs/tiny_vit_cls.py'


def _missing_data_and_weights(tmp_path):
    """--cfg-options: the seg demo's data roots at a missing directory,
    its encoder initialized from a missing checkpoint."""
    data = str(tmp_path / 'no_ade')
    weights = str(tmp_path / 'no_weights.pth')
    options = [
        f'train_dataloader.dataset.data_root={data}',
        f'val_dataloader.dataset.data_root={data}',
        'model.backbone.init_cfg._delete_=True',
        'model.backbone.init_cfg.type=Pretrained',
        f'model.backbone.init_cfg.checkpoint={weights}'
    ]
    return data, weights, options


@pytest.fixture
def nothing_built(monkeypatch):
    """Building a runner or constructing any dataset fails the test."""
    from mmengine.dataset import BaseDataset

    import mmcae.utils.cli as cli

    def refuse(*args, **kwargs):
        raise AssertionError('built before the preflight check')

    monkeypatch.setattr(cli, 'build_runner', refuse)
    monkeypatch.setattr(BaseDataset, '__init__', refuse)


def test_missing_data_root_and_checkpoint_in_one_message(
        tmp_path, nothing_built, engine_tool_in_process):
    data, weights, options = _missing_data_and_weights(tmp_path)
    status, out, err = engine_tool_in_process(
        run_train, SEG_DEMO, '--work-dir', str(tmp_path / 'work'),
        '--cfg-options', *options)
    assert status == 2, err[-3000:]
    assert 'Traceback' not in err
    assert err.startswith(f"train.py: error: preflight check of '{SEG_DEMO}'"
                          ' found 3 problems (nothing was built):\n')
    lines = err.rstrip('\n').splitlines()
    assert len(lines) == 4  # the header and one line per problem
    assert lines[1].startswith(
        f"  - train_dataloader.dataset.data_root='{data}': directory "
        f"'{data}' not found; expected ADE20K layout: {data}/{{images/"
        'training/*.jpg, annotations/training/*.png}')
    assert lines[1].endswith(
        '--cfg-options train_dataloader.dataset.data_root=PATH')
    assert lines[2].startswith(
        f"  - val_dataloader.dataset.data_root='{data}'")
    assert lines[3].startswith(
        f"  - model.backbone.init_cfg.checkpoint='{weights}': pretrained "
        f"checkpoint '{weights}' not found. Download or convert it as "
        'docs/weights.md ("Pretrained weights") says')
    assert 'docs/datasets.md ("Prepare datasets")' in lines[1]
    assert not (tmp_path / 'work').exists()

    # --no-validate: the val loader is not checked
    status, _, err = engine_tool_in_process(
        run_train, SEG_DEMO, '--no-validate', '--cfg-options', *options)
    assert status == 2
    assert 'found 2 problems' in err and 'val_dataloader' not in err


def test_test_tool_checks_the_test_loader_only(tmp_path, nothing_built,
                                               engine_tool_in_process):
    checkpoint = tmp_path / 'model.pth'
    checkpoint.write_bytes(b'x')
    status, _, err = engine_tool_in_process(
        run_test, TINY_CLS, str(checkpoint), '--cfg-options',
        f'test_dataloader.dataset.data_root={tmp_path}/nowhere',
        'train_dataloader.dataset.data_root=/also/nowhere',
        prog='tools/test.py')
    assert status == 2, err[-3000:]
    assert err.startswith('test.py: error: preflight check of')
    assert "test_dataloader.dataset.data_root='" in err
    assert 'train_dataloader' not in err


def test_dist_train_prints_the_message_last(tmp_path):
    """One launch of tools/dist_train.sh with 2 processes: the check runs
    once before torchrun, which never starts (no ChildFailedError
    summary after the message, no second copy)."""
    data, weights, options = _missing_data_and_weights(tmp_path)
    result = run_cmd(
        ['bash', 'tools/dist_train.sh', SEG_DEMO, '2', '--work-dir',
         str(tmp_path / 'work'), '--cfg-options', *options],
        env={'PORT': str(free_port())}, timeout=300)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stdout.strip() == ''
    lines = result.stderr.rstrip('\n').splitlines()
    start = [i for i, line in enumerate(lines)
             if line.startswith('train.py: error: preflight check of')]
    assert len(start) == 1, result.stderr[-3000:]
    assert len(lines) == start[0] + 4, result.stderr[-3000:]  # it is last
    assert f"train_dataloader.dataset.data_root='{data}'" in lines[-3]
    assert f"model.backbone.init_cfg.checkpoint='{weights}'" in lines[-1]
    assert 'ChildFailedError' not in result.stderr
    assert not (tmp_path / 'work').exists()


def _demo_options(root):
    """--cfg-options pointing every loader (and COCO evaluator) of a demo
    config at the small demo sets under ``root``."""
    options = {}
    for split in ('train', 'val', 'test'):
        for name in ('imagenet', 'ade20k', 'coco'):
            options[name, split] = {
                f'{split}_dataloader.dataset.data_root':
                osp.join(root, name) + ('/' if name == 'coco' else '')
            }
        options['coco', split][f'{split}_evaluator.ann_file'] = osp.join(
            root, 'coco', 'annotations', 'instances_val2017.json')
    return options


@pytest.mark.parametrize('config, data, weights', [
    ('configs/cae/upernet_vit-tiny-p8_1xb4-200i_demo-ade20k.py', 'ade20k',
     None),
    ('configs/cae/mask-rcnn_cae-demo-vit-tiny-p8_1xb4-12e_demo-coco.py',
     'coco', 'model.backbone.init_cfg.checkpoint'),
    ('configs/cae/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py', 'imagenet',
     None),
    ('configs/cae/benchmarks/vit-tiny-p8_linear-probe_1xb64-lars-20e_'
     'demo-in1k.py', 'imagenet', 'model.backbone.init_cfg.checkpoint'),
])
def test_demo_configs_on_demo_data_pass(config, data, weights, tmp_path,
                                        small_demo_sets):
    """No false positives: the demo configs, pointed at the demo sets (and
    an existing checkpoint file), pass for training and testing."""
    cfg = load_config(config)
    # without the data: its data_root is reported
    assert any(p.startswith('train_dataloader.dataset.data_root=')
               for p in find_problems(cfg))
    options = _demo_options(small_demo_sets)
    merged = {}
    for split in ('train', 'val', 'test'):
        if cfg.get(f'{split}_dataloader'):
            merged.update(options[data, split])
    if weights:
        checkpoint = tmp_path / 'weights.pth'
        checkpoint.write_bytes(b'x')
        merged[weights] = str(checkpoint)
    cfg.merge_from_dict(merged)
    assert find_problems(cfg, ('train', 'val')) == []
    assert find_problems(cfg, ('test', ), check_weights=False) == []
    preflight(cfg)


def test_tiny_fixture_layouts_pass(tiny_imagenet, tiny_ade, tiny_coco):
    cases = [
        (TINY_CLS, tiny_imagenet, {}),
        ('tests/data/configs/tiny_fcn_seg.py', tiny_ade, {}),
        ('tests/data/configs/tiny_retinanet_det.py', tiny_coco, {
            'test_evaluator.ann_file':
            osp.join(tiny_coco, 'annotations.json')
        }),
    ]
    for config, root, extra in cases:
        cfg = load_config(config, {
            'train_dataloader.dataset.data_root': root,
            'test_dataloader.dataset.data_root': root,
            **extra
        })
        assert find_problems(cfg, ('train', 'val', 'test')) == [], config


def test_wrappers_prefixes_ann_files_and_urls(tmp_path):
    """Dataset wrappers are walked (list items by index, as --cfg-options
    writes them); data_root + data_prefix / ann_file are joined as
    mmengine joins them; a missing data_root hides the paths under it;
    URLs and absolute prefixes are taken as they are."""
    root = tmp_path / 'coco'
    (root / 'train2017').mkdir(parents=True)
    cfg = dict(
        train_dataloader=dict(dataset=dict(
            type='ConcatDataset',
            datasets=[
                dict(type='RepeatDataset', times=2, dataset=dict(
                    type='CocoDataset', data_root=str(root),
                    ann_file='annotations/train.json',
                    data_prefix=dict(img='train2017/'),
                    pipeline=[dict(type='LoadImageFromFile',
                                   ann_file='ignored')])),
                dict(type='CocoDataset', data_root=str(tmp_path / 'none'),
                     ann_file='annotations/train.json',
                     data_prefix=dict(img='train2017/')),
                dict(type='CocoDataset', data_root='s3://bucket/coco',
                     ann_file='a.json', data_prefix=dict(img='x/')),
                dict(type='CustomDataset', data_root=str(root),
                     data_prefix=str(tmp_path / 'abs')),
            ])),
        model=dict(
            backbone=dict(init_cfg=[
                dict(type='TruncNormal', layer='Linear'),
                dict(type='Pretrained', checkpoint='https://x.org/a.pth'),
                dict(type='mmcae.ViTPretrained',
                     checkpoint=str(tmp_path / 'vit.pth')),
            ]),
            pretrained=str(tmp_path)),  # a directory, not a file
        load_from=str(tmp_path / 'last.pth'))
    problems = find_problems(cfg, ('train', 'val'))
    keys = [p.split('=')[0] for p in problems]
    assert keys == [
        'train_dataloader.dataset.datasets.0.dataset.ann_file',
        'train_dataloader.dataset.datasets.1.data_root',
        'train_dataloader.dataset.datasets.3.data_prefix',
        'model.backbone.init_cfg.2.checkpoint',
        'model.pretrained',
        'load_from',
    ], problems
    assert f"annotation file '{root}/annotations/train.json' not found" \
        in problems[0]
    assert 'COCO layout' in problems[0]
    assert 'is a directory, not a file' in problems[4]
    assert find_problems(cfg, ('train', ), check_weights=False) == \
        problems[:3]


def test_other_ranks_print_one_short_line(tmp_path):
    cfg = dict(train_dataloader=dict(dataset=dict(
        type='CustomDataset', data_root=str(tmp_path / 'none'))))
    with pytest.raises(PreflightError) as error:
        preflight(cfg, rank=1)
    assert str(error.value) == (
        "rank 1: preflight check of '<config>' found 1 problem (rank 0 "
        'lists them)')
    assert len(error.value.problems) == 1
    assert isinstance(error.value, UserError)  # exit status 2, no traceback
    with pytest.raises(PreflightError, match='nothing was built'):
        preflight(cfg, rank=0)
