"""tools/train.py on bad input: one line naming the file and key at fault,
exit status 2, and nothing trained (issue 18). The label-map check runs
the command line itself (its error comes from a DataLoader worker); the
config-key check calls the tool's entry point in this process."""
import os
import os.path as osp

import numpy as np
from PIL import Image

from mmcae.utils.cli import run_train

from tests.helpers import run_python_tool

TINY = 'tests/data/configs/tiny_vit_cls.py'
SEG_DEMO = 'configs/cae/upernet_vit-tiny-p8_1xb4-200i_demo-ade20k.py'


def test_misspelt_checkpoint_key_fails_before_training(
        tmp_path, engine_tool_in_process):
    """mmengine alone trains until the first checkpoint and then fails in
    Runner.save_checkpoint with a TypeError. (The tool's entry point runs
    in this process: the message is made before any training.)"""
    work_dir = tmp_path / 'work'
    status, stdout, stderr = engine_tool_in_process(
        run_train, TINY, '--work-dir', str(work_dir),
        '--cfg-options', 'default_hooks.checkpoint.intervall=1',
        f'train_dataloader.dataset.data_root={tmp_path}')
    assert status == 2, stderr[-3000:]
    assert stderr == (
        f"train.py: error: config '{TINY}': "
        'default_hooks.checkpoint.intervall is not an argument of '
        'CheckpointHook (mmengine.hooks.checkpoint_hook); did you mean '
        "'interval'? Rename or remove the key.\n")
    assert 'Iter(train)' not in stdout
    assert not work_dir.exists()  # the runner was never built


def _ade_layout(root: str, label_size=(32, 48)) -> None:
    """Two 64 x 48 (h x w) scenes whose label maps are ``label_size``, in
    the ADE20K layout the demo config reads."""
    images = osp.join(root, 'images', 'training')
    labels = osp.join(root, 'annotations', 'training')
    os.makedirs(images)
    os.makedirs(labels)
    rng = np.random.default_rng(0)
    for index in range(2):
        Image.fromarray(rng.integers(0, 255, (64, 48, 3), np.uint8)).save(
            osp.join(images, f'scene_{index}.jpg'))
        Image.fromarray(rng.integers(0, 3, label_size, np.uint8)).save(
            osp.join(labels, f'scene_{index}.png'))


def test_wrong_size_label_names_both_files(tmp_path):
    """Read in a DataLoader worker: torch re-raises the error wrapped in
    'Caught UserError in DataLoader worker process 0 ...'; the tool prints
    the original line."""
    root = str(tmp_path / 'ade')
    _ade_layout(root)
    result = run_python_tool(
        'tools/train.py', SEG_DEMO, '--work-dir', str(tmp_path / 'work'),
        '--no-validate', '--cfg-options',
        f'train_dataloader.dataset.data_root={root}',
        'train_dataloader.num_workers=1',
        'train_dataloader.persistent_workers=False',
        timeout=300)
    assert result.returncode == 2, result.stderr[-3000:]
    # one error line, the last (mmseg's own warnings come before it)
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if 'error' in line.lower()]
    assert errors == lines[-1:], result.stderr[-3000:]
    line = lines[-1]
    assert line.startswith("train.py: error: label map '")
    for index in range(2):
        if f'scene_{index}.png' in line:
            break
    label = osp.join(root, 'annotations', 'training', f'scene_{index}.png')
    image = osp.join(root, 'images', 'training', f'scene_{index}.jpg')
    assert f"label map '{label}' is 32 x 48 (h x w) but its image " \
        f"'{image}' is 64 x 48 (h x w)" in line
    assert 'Caught' not in line and 'Traceback' not in result.stderr
    assert 'Iter(train)' not in result.stdout
