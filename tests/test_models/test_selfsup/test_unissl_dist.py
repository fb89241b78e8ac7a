"""Uni-SSL under DistributedDataParallel (2 gloo processes on the CPU):
every trainable parameter is in the graph in the first epoch too, when the
DINO prototypes are frozen (DDP without ``find_unused_parameters`` fails
otherwise), and the run saves the EMA teacher and the all-reduced center.
"""
import os.path as osp

import torch

from mmcae.checkpoint.reader import load_local_checkpoint

from tests.helpers import dist_env, run_cmd

CONFIG = 'configs/unissl/unissl_vit-tiny-p8_1xb32-200i_demo-in1k.py'


def test_two_process_training_with_frozen_prototypes(tmp_path,
                                                     small_demo_sets):
    work_dir = str(tmp_path / 'dist')
    result = run_cmd([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
        '--cfg-options',
        f'train_dataloader.dataset.data_root={small_demo_sets}/imagenet',
        'train_dataloader.batch_size=8', 'train_cfg.max_iters=3',
        'param_scheduler.0.end=1', 'param_scheduler.1.begin=1',
        'param_scheduler.1.end=3', 'param_scheduler.1.T_max=2',
        'default_hooks.checkpoint.interval=3',
        'model.freeze_last_layer_epochs=1'
    ],
                     env=dist_env())
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]
    assert 'rank 0/2 finished: iter 3' in out
    assert 'rank 1/2 finished: iter 3' in out
    state = load_local_checkpoint(
        osp.join(work_dir, 'iter_3.pth'), map_location='cpu',
        trust=False)['state_dict']
    assert state['head.center'].abs().sum() > 0
    # three EMA updates: the first copies the student, two more move it
    assert int(state['teacher.steps']) == 3
    assert any(key.startswith('teacher.module.0.blocks.') for key in state)
    assert torch.isfinite(state['pixel_predictor.weight']).all()
