"""mmcae.runs.results (the collect_results tool: ``main`` takes its
command line) on synthetic mmengine work dirs and a synthetic metafile
root."""
import json
import os
import os.path as osp
import re

import pytest

from mmcae.runs.results import main
from tests.test_tools.model_index_fixtures import (CKPT_300, CKPT_800,
                                                   DET_300, LINEAR, SEG_300,
                                                   make_run,
                                                   write_model_index)


@pytest.fixture
def runs(tmp_path):
    """Synthetic work dirs (see model_index_fixtures.make_run) and the
    metafile root."""
    root = write_model_index(str(tmp_path / 'root'))
    dirs = dict(
        seg=make_run(str(tmp_path / 'seg'), SEG_300, CKPT_300, [
            dict(aAcc=80.0, mIoU=45.0, mAcc=55.0),
            dict(aAcc=81.0, mIoU=47.95, mAcc=57.0),  # the last one wins
        ]),
        # CocoMetric logs fractions: 0.4812 -> 48.12
        det=make_run(str(tmp_path / 'det'), DET_300, CKPT_300, [
            {'coco/bbox_mAP': 0.45, 'coco/segm_mAP': 0.40},
            {'coco/bbox_mAP': 0.4812, 'coco/segm_mAP': 0.4200,
             'coco/bbox_mAP_50': 0.7},
        ]),
        # shares its config with linear_cae_800e; the checkpoint (another
        # folder, same file name) tells them apart. A later test run wins
        # over the train run's validation.
        lin=make_run(
            str(tmp_path / 'lin'), LINEAR, '/ckpts/' + osp.basename(
                CKPT_300), [{'accuracy/top1': 60.0}],
            test_runs={'20240102_000000': {'accuracy/top1': 64.5}}),
        lin800=make_run(str(tmp_path / 'lin800'), LINEAR, CKPT_800,
                        [{'accuracy/top1': 70.0}]),
        ambiguous=make_run(str(tmp_path / 'ambiguous'), LINEAR,
                           'work_dirs/other/epoch_100.pth',
                           [{'accuracy/top1': 61.0}]),
        unknown=make_run(str(tmp_path / 'unknown'),
                         'configs/foo/foo_vit-s_1xb1_in1k.py', None,
                         [{'accuracy/top1': 55.0}]),
    )
    os.makedirs(tmp_path / 'not_a_run' / 'logs')
    dirs['not_a_run'] = str(tmp_path / 'not_a_run')
    return root, dirs


def markdown_tables(text: str) -> dict:
    """title -> {(method, arch, epochs): {column: cell}} of the markdown
    output."""
    tables, title, header = {}, None, None
    for line in text.splitlines():
        if line.startswith('### Paper table '):
            title = line[len('### Paper table '):].split(':')[0]
            tables[title], header = {}, None
        elif line.startswith('|') and title and not line.startswith('|--'):
            cells = [c.strip() for c in line.strip('|').split('|')]
            if header is None:
                header = cells
            else:
                tables[title][tuple(cells[:3])] = dict(
                    zip(header[3:], cells[3:]))
    return tables


def test_tables_numbers_and_placement(runs, tmp_path, capsys):
    root, dirs = runs
    out_json = str(tmp_path / 'out' / 'results.json')
    status = main([
        dirs['seg'], dirs['det'], dirs['lin'], '--metafile-root', root,
        '--format', 'markdown', '--json', out_json
    ])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    tables = markdown_tables(captured.out)
    # tables in index order; demo-1 untouched, so not printed
    assert list(tables) == ['cae-arxiv-3', 'cae-arxiv-1']
    arxiv3 = tables['cae-arxiv-3']
    assert arxiv3[('CAE', 'ViT-B', '300')] == {
        'ADE Seg': '47.95 (47.7, +0.25)',
        'COCO AP^b': '48.12 (48.0, +0.12)',
        'COCO AP^m': '42.00 (42.3, -0.30)',
    }
    assert arxiv3[('CAE', 'ViT-B', '800')] == {
        'ADE Seg': '- (50.2)', 'COCO AP^b': '', 'COCO AP^m': ''}
    arxiv1 = tables['cae-arxiv-1']
    assert arxiv1[('CAE', 'ViT-B', '300')] == {
        'LIN': '64.50 (64.1, +0.40)', 'ATT': '- (73.8)'}
    assert arxiv1[('CAE', 'ViT-B', '800')] == {'LIN': '- (68.6)', 'ATT': ''}

    with open(out_json) as f:
        report = json.load(f)
    by_dir = {run['work_dir']: run for run in report['runs']}
    det = by_dir[dirs['det']]
    assert det['model'] == 'mask-rcnn_cae_300e' and det['step'] == 2
    assert det['metrics']['coco/bbox_mAP'] == pytest.approx(48.12)
    assert det['metrics']['coco/bbox_mAP_50'] == pytest.approx(70.0)
    assert {p['column']: p['diff'] for p in det['paper']} == pytest.approx(
        {'COCO AP^b': 0.12, 'COCO AP^m': -0.3})
    lin = by_dir[dirs['lin']]
    assert lin['model'] == 'linear_cae_300e'
    assert lin['kind'] == 'test' and lin['timestamp'] == '20240102_000000'
    assert lin['source'].endswith(
        osp.join('20240102_000000', '20240102_000000.json'))
    assert lin['metrics'] == {'accuracy/top1': 64.5}
    seg = by_dir[dirs['seg']]
    assert seg['config'] == osp.basename(SEG_300)
    assert seg['checkpoint'] == CKPT_300
    assert seg['metrics'] == {'aAcc': 81.0, 'mIoU': 47.95, 'mAcc': 57.0}


def test_plain_text_is_aligned(runs, capsys):
    root, dirs = runs
    assert main([dirs['lin'], dirs['lin800'], '--metafile-root',
                      root]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == 'Paper table cae-arxiv-1: ours (paper, ours - paper)'
    header = lines[2]
    assert re.split(r'\s{2,}', header) == [
        'Method', 'Arch', 'Epochs', 'LIN', 'ATT']
    assert set(lines[3]) == {'-', ' '}
    epochs_at = header.index('Epochs')
    lin_at, att_at = header.index('LIN'), header.index('ATT')
    row300, row800 = lines[4], lines[5]
    assert row300.startswith('CAE     ViT-B')
    assert row300[epochs_at:lin_at].rstrip() == '300'
    assert row300[lin_at:].startswith('64.50 (64.1, +0.40)')
    assert row300[att_at:] == '- (73.8)'
    assert row800[lin_at:].startswith('70.00 (68.6, +1.40)')


def test_ambiguous_unknown_and_bad_dirs_reported(runs, tmp_path, capsys):
    root, dirs = runs
    missing = str(tmp_path / 'missing')
    status = main([
        dirs['seg'], dirs['ambiguous'], dirs['unknown'], dirs['not_a_run'],
        missing, '--metafile-root', root, '--json',
        str(tmp_path / 'r.json')
    ])
    captured = capsys.readouterr()
    assert status == 0
    errors = captured.err.splitlines()
    ambiguous = [e for e in errors if dirs['ambiguous'] in e]
    assert len(ambiguous) == 1
    assert 'linear_cae_300e' in ambiguous[0]
    assert 'linear_cae_800e' in ambiguous[0]
    assert 'epoch_100.pth' in ambiguous[0]
    assert any(dirs['not_a_run'] in e and 'not an mmengine run directory'
               in e for e in errors)
    assert any(missing in e and 'no such directory' in e for e in errors)
    # a run of a config no entry has: listed with its metrics
    assert (f'  {dirs["unknown"]} (no metafile entry has config '
            'foo_vit-s_1xb1_in1k.py): accuracy/top1=55.00') in captured.out
    assert 'Skipped 3 work dir(s)' in captured.out
    with open(tmp_path / 'r.json') as f:
        report = json.load(f)
    assert [r['work_dir'] for r in report['runs']] == [
        dirs['seg'], dirs['unknown']]
    skipped = {s['work_dir']: s for s in report['skipped']}
    assert set(skipped) == {dirs['ambiguous'], dirs['not_a_run'], missing}
    assert skipped[dirs['ambiguous']]['candidates'] == [
        'linear_cae_300e', 'linear_cae_800e']


def test_train_records_only_is_an_error(runs, tmp_path, capsys):
    root, _ = runs
    work_dir = make_run(str(tmp_path / 'early'), SEG_300, CKPT_300, [])
    with open(osp.join(work_dir, '20240101_120000', 'vis_data',
                       'scalars.json'), 'w') as f:
        f.write(json.dumps(dict(lr=0.1, loss=1.0, step=1)) + '\n')
    assert main([work_dir, '--metafile-root', root]) == 0
    err = capsys.readouterr().err
    assert work_dir in err and 'no validation or test metrics' in err


def test_table_filter_and_unknown_table(runs, capsys):
    root, dirs = runs
    assert main([dirs['seg'], dirs['lin'], '--table', 'cae-arxiv-1',
                      '--metafile-root', root]) == 0
    out = capsys.readouterr().out
    assert 'Paper table cae-arxiv-1' in out
    assert 'cae-arxiv-3' not in out
    # the segmentation run is in no printed table: listed with its metrics
    assert f'  {dirs["seg"]} (upernet_cae_300e): aAcc=81.00, mIoU=47.95' \
        in out
    # a table no run touches is printed with the paper numbers only
    assert main([dirs['seg'], '--table', 'demo-1', '--metafile-root',
                      root]) == 0
    assert 'CAE     ViT-T  10      - (50.0)' in capsys.readouterr().out

    assert main([dirs['seg'], '--table', 'cae-arxiv-9',
                      '--metafile-root', root]) == 2
    err = capsys.readouterr().err
    assert "unknown paper table 'cae-arxiv-9'" in err
    assert 'cae-arxiv-3, cae-arxiv-1, demo-1' in err


def test_work_dir_config_is_parsed_not_executed(runs, tmp_path,
                                                capsys):
    """A planted command in a work dir's dumped config is reported (file
    and line) and the run skipped; nothing runs."""
    root, _ = runs
    marker = tmp_path / 'marker'
    work_dir = make_run(str(tmp_path / 'planted'), SEG_300, CKPT_300,
                        [dict(mIoU=47.0)])
    planted = ("model = dict(backbone=dict(init_cfg=dict(checkpoint="
               f"__import__('os').system('touch {marker}'))))\n")
    for path in (osp.join(work_dir, osp.basename(SEG_300)),
                 osp.join(work_dir, '20240101_120000', 'vis_data',
                          'config.py')):
        with open(path, 'w') as f:
            f.write("default_scope = 'mmseg'\n" + planted)
    assert main([work_dir, '--metafile-root', root]) == 0
    err = capsys.readouterr().err
    assert f"{work_dir}: {osp.join(work_dir, '20240101_120000')}" in err
    assert 'config.py:2: a call' in err
    assert not marker.exists()


def test_a_line_that_is_not_json_is_reported(runs, tmp_path, capsys):
    root, _ = runs
    work_dir = make_run(str(tmp_path / 'broken'), SEG_300, CKPT_300,
                        [dict(mIoU=47.0)])
    scalars = osp.join(work_dir, '20240101_120000', 'vis_data',
                       'scalars.json')
    with open(scalars, 'a') as f:
        f.write('{"mIoU": \n')
    json_path = str(tmp_path / 'r.json')
    assert main([work_dir, '--metafile-root', root, '--json',
                 json_path]) == 0
    err = capsys.readouterr().err
    assert f'{work_dir}: {scalars}: line ' in err and 'is not JSON' in err
    with open(json_path) as f:
        assert json.load(f)['runs'] == []
