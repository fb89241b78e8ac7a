"""The train/test tools' flags, applied to a config (nothing is trained)."""
import os.path as osp

import pytest
import torch

from mmcae.utils.cli import (build_test_config, build_train_config,
                             build_test_parser, build_train_parser)
from mmcae.utils.errors import UserError

from tests.helpers import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'tiny_vit_cls.py')


def _train_cfg(*flags):
    """The flags applied; the config's data root is a placeholder, so the
    file check (tests/test_utils/test_preflight.py) is left out."""
    args = build_train_parser().parse_args([CONFIG, *flags])
    return build_train_config(args, preflight=False)


def test_work_dir_defaults_to_config_name_and_flag_wins(tmp_path):
    assert _train_cfg().work_dir == osp.join('./work_dirs', 'tiny_vit_cls')
    assert _train_cfg('--work-dir', str(tmp_path)).work_dir == str(tmp_path)


def test_cfg_options_override_nested_keys():
    cfg = _train_cfg('--cfg-options', 'train_dataloader.batch_size=7',
                     'optim_wrapper.optimizer.lr=0.5')
    assert cfg.train_dataloader.batch_size == 7
    assert cfg.optim_wrapper.optimizer.lr == 0.5


def test_auto_scale_lr_needs_base_batch_size():
    with pytest.raises(UserError, match='auto_scale_lr.base_batch_size'):
        _train_cfg('--auto-scale-lr')
    cfg = _train_cfg('--auto-scale-lr', '--cfg-options',
                     'auto_scale_lr.base_batch_size=256')
    assert cfg.auto_scale_lr == dict(base_batch_size=256, enable=True)


def test_no_validate_drops_the_val_loop():
    cfg = _train_cfg('--no-validate', '--cfg-options',
                     'val_dataloader.batch_size=1')
    assert cfg.val_dataloader is None and cfg.val_cfg is None
    assert cfg.val_evaluator is None


def test_amp_switches_the_optim_wrapper(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = _train_cfg('--amp')  # no CUDA: CPU bfloat16 autocast
    assert cfg.optim_wrapper.type == 'mmcae.CPUBF16OptimWrapper'
    assert 'loss_scale' not in cfg.optim_wrapper
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = _train_cfg('--amp')
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    with pytest.raises(UserError, match="optim_wrapper.type is 'Apex"):
        _train_cfg('--amp', '--cfg-options',
                   'optim_wrapper.type=ApexOptimWrapper')


def test_resume_sets_load_from_and_the_checkpoints_seed(tmp_path):
    torch.save(
        dict(
            meta=dict(epoch=0, iter=8, seed=123),
            state_dict={'w': torch.zeros(1)},
            message_hub={}), tmp_path / 'iter_8.pth')
    cfg = _train_cfg('--resume', '--work-dir', str(tmp_path))
    assert cfg.resume is True
    assert cfg.load_from == str(tmp_path / 'iter_8.pth')
    # the dataloaders are built with the seed of the run it continues
    assert cfg.randomness['seed'] == 123


def test_test_tool_sets_load_from(tmp_path):
    checkpoint = tmp_path / 'model.pth'
    checkpoint.write_bytes(b'x')
    cfg = build_test_config(build_test_parser().parse_args(
        [CONFIG, str(checkpoint)]), preflight=False)
    assert cfg.load_from == str(checkpoint)
    assert cfg.launcher == 'none'


def test_non_pytorch_launcher_without_cuda_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(UserError, match='--launcher slurm needs CUDA'):
        _train_cfg('--launcher', 'slurm')
