"""mmcae.runs.scalars on hand-written vis_data/scalars.json files."""
import json
import math
import os

import pytest

from mmcae.runs.scalars import (ScalarsError, first_value, last_record_with,
                                last_val_record, last_value, loss_window,
                                loss_windows, metric_values, read_records,
                                scalar_records, scalars_files, values)


def write_scalars(work_dir, stamp, records):
    folder = os.path.join(work_dir, stamp, 'vis_data')
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, 'scalars.json')
    with open(path, 'w') as f:
        for record in records:
            f.write(json.dumps(record) + '\n')
        f.write('\n')  # blank lines are skipped
    return path


def test_latest_run_wins(tmp_path):
    work_dir = str(tmp_path)
    old = write_scalars(work_dir, '20240101_000000', [dict(loss=9.)])
    new = write_scalars(work_dir, '20240102_000000',
                        [dict(loss=2., step=1), dict(loss=1., step=2),
                         dict(mIoU=40., step=2)])
    assert scalars_files(work_dir) == [old, new]
    records = scalar_records(work_dir)
    assert values(records, 'loss') == [2., 1.]
    assert first_value(records, 'loss') == 2.
    assert last_value(records, 'loss') == 1.
    assert math.isnan(last_value(records, 'accuracy/top1', math.nan))
    assert first_value(records, 'accuracy/top1') is None
    assert last_record_with(records, 'mIoU') == dict(mIoU=40., step=2)
    assert last_record_with(records, 'accuracy/top1') is None


def test_missing_and_bad_files_name_the_path(tmp_path):
    with pytest.raises(ScalarsError, match='no vis_data/scalars.json under'):
        scalar_records(str(tmp_path))
    path = write_scalars(str(tmp_path), '20240101_000000', [dict(loss=1.)])
    with open(path, 'a') as f:
        f.write('{not json\n')
    with pytest.raises(ScalarsError, match=f'{path}: line 3 is not JSON'):
        read_records(path)
    assert issubclass(ScalarsError, RuntimeError)


def test_loss_window_is_a_tenth_of_the_steps():
    records = [dict(loss=float(i)) for i in range(20)] + [dict(mIoU=1.)]
    assert loss_window(records) == dict(first_loss=0.5, last_loss=18.5)
    assert loss_window([dict(loss=3.)]) == dict(first_loss=3.,
                                                last_loss=3.)
    empty = loss_window([dict(mIoU=1.)])
    assert math.isnan(empty['first_loss']) and math.isnan(
        empty['last_loss'])


def test_loss_windows_of_several_terms():
    records = [dict(loss_rec=float(i), loss_nce=2. * i) for i in range(100)]
    out = loss_windows(records, ('loss_rec', 'loss_nce'), window=20)
    # 100 steps < 10 windows of 20: a tenth of them
    assert out['loss_rec'] == dict(first=4.5, last=94.5, steps=100,
                                   window=10)
    assert out['loss_nce']['first'] == 9.
    long = [dict(loss_rec=float(i)) for i in range(400)]
    assert loss_windows(long, ('loss_rec',))['loss_rec']['window'] == 20
    with pytest.raises(ScalarsError, match='work/x: 3 logged steps'):
        loss_windows(records[:3], ('loss_rec',), source='work/x')


def test_validation_records_and_metrics_in_percent(tmp_path):
    path = write_scalars(str(tmp_path), '20240101_000000', [
        dict(lr=0.1, loss=1., step=1, time=0.5),
        {'coco/bbox_mAP': 0.4812, 'step': 2, 'flag': True},
        dict(base_lr=0.1, loss_cls=0.3, step=3),
    ])
    record = last_val_record(path)
    assert record['step'] == 2
    assert metric_values(record) == {'coco/bbox_mAP': 48.12}
    train_only = write_scalars(str(tmp_path / 'b'), '20240101_000000',
                               [dict(lr=0.1, loss=1., step=1)])
    assert last_val_record(train_only) is None
