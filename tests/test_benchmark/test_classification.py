"""The classification benchmark's pieces: the low-shot split and the
stretched schedule."""
import pytest

from mmcae.benchmark.classification import (epoch_schedule,
                                            write_low_shot_split)


def _train_list(root, per_class):
    (root / 'meta').mkdir()
    lines = [f'c{label}/{i}.JPEG {label}' for label in range(3)
             for i in range(per_class[label])]
    (root / 'meta' / 'train.txt').write_text('\n'.join(lines) + '\n')


def test_low_shot_split(tmp_path):
    _train_list(tmp_path, [5, 5, 5])
    path = write_low_shot_split(str(tmp_path), 2, 0, str(tmp_path / 'out'))
    assert path.endswith('train_2shot_seed0.txt')
    lines = open(path).read().split('\n')[:-1]
    assert [line.split()[-1] for line in lines] == ['0', '0', '1', '1', '2',
                                                    '2']
    # the same seed, the same images; another seed, others
    again = write_low_shot_split(str(tmp_path), 2, 0, str(tmp_path / 'a'))
    assert open(again).read() == open(path).read()
    other = write_low_shot_split(str(tmp_path), 2, 1, str(tmp_path / 'b'))
    assert open(other).read() != open(path).read()


def test_low_shot_split_needs_enough_images(tmp_path):
    _train_list(tmp_path, [5, 1, 5])
    with pytest.raises(ValueError, match='class 1 of .* has only 1 '
                       r'training images \(< 2\)'):
        write_low_shot_split(str(tmp_path), 2, 0, str(tmp_path))


def test_epoch_schedule():
    assert epoch_schedule(20, 2) == [
        'train_cfg.max_epochs=20', 'train_cfg.val_interval=20',
        'param_scheduler.0.end=2', 'param_scheduler.1.begin=2',
        'param_scheduler.1.end=20', 'param_scheduler.1.T_max=18',
        'default_hooks.checkpoint.interval=20'
    ]
