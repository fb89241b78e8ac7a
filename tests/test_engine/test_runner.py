"""mmcae.engine.Runner in process: its default hooks, the errors of
datasets and evaluators that cannot be built, and the NaN guard's
checkpoint check. The real-process fault tests are in
test_fault_tolerance.py."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.registry import DefaultScope

from mmcae.engine import CheckpointHook, NonFiniteGuardHook, Runner
from mmcae.engine.hooks import NonFiniteError
from mmcae.utils.config import load_config
from mmcae.utils.errors import UserError

CLS_CONFIG = 'tests/data/configs/tiny_vit_cls.py'
DET_CONFIG = 'tests/data/configs/tiny_retinanet_det.py'


@pytest.fixture(autouse=True)
def own_default_scope():
    """A runner makes its config's scope the current default scope; give
    the later tests the one they had."""
    before = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(before)


def _runner(config, work_dir, **options):
    cfg = load_config(config, options)
    cfg.work_dir = str(work_dir)
    return Runner.from_cfg(cfg)


def _hooks(runner):
    return {type(hook) for hook in runner.hooks}


def test_default_hooks_are_mmcaes(tmp_path, tiny_imagenet):
    runner = _runner(CLS_CONFIG, tmp_path / 'a',
                     **{'train_dataloader.dataset.data_root': tiny_imagenet})
    hooks = _hooks(runner)
    assert CheckpointHook in hooks and NonFiniteGuardHook in hooks
    checkpoint = next(h for h in runner.hooks if type(h) is CheckpointHook)
    assert checkpoint.interval == 2 and not checkpoint.by_epoch

    runner = _runner(
        CLS_CONFIG, tmp_path / 'b', **{
            'train_dataloader.dataset.data_root': tiny_imagenet,
            'default_hooks.nonfinite_guard': None
        })
    assert NonFiniteGuardHook not in _hooks(runner)


def test_guard_refuses_to_write_non_finite_weights():
    runner = SimpleNamespace(
        iter=4, epoch=1, message_hub=MessageHub.get_instance('guard_test'))
    runner.message_hub.update_info('last_ckpt', 'work/epoch_1.pth')
    guard = NonFiniteGuardHook()
    state = {'a.weight': torch.ones(2), 'b.bias': torch.tensor([0., 1.])}
    guard.before_save_checkpoint(runner, {'state_dict': state})
    state['b.bias'][1] = float('inf')
    state['steps'] = torch.tensor([3])  # integer tensors are not checked
    with pytest.raises(NonFiniteError, match=r'1 model tensors .*b\.bias'):
        guard.before_save_checkpoint(runner, {'state_dict': state})
    guard.after_train_iter(runner, 0, outputs={'loss': torch.tensor(0.5)})
    with pytest.raises(NonFiniteError) as error:
        guard.after_train_iter(
            runner, 0, outputs={
                'loss': torch.tensor(float('nan')),
                'loss_rec': torch.tensor(float('nan')),
                'loss_align': torch.tensor(0.5)
            })
    message = str(error.value)
    assert 'iteration 5 (epoch 2)' in message
    assert 'loss=nan, loss_rec=nan, loss_align=0.5' in message
    assert "'work/epoch_1.pth'" in message
    assert 'default_hooks.nonfinite_guard=None' in message


def test_truncated_coco_annotations_name_the_file(tmp_path, tiny_coco):
    with open(osp.join(tiny_coco, 'annotations.json')) as f:
        text = f.read()
    truncated = tmp_path / 'annotations.json'
    truncated.write_text(text[:len(text) // 2])
    runner = _runner(
        DET_CONFIG, tmp_path / 'work', **{
            'train_dataloader.dataset.data_root': tiny_coco,
            'train_dataloader.dataset.ann_file': str(truncated)
        })
    with pytest.raises(UserError) as error:
        runner.train()
    message = str(error.value)
    assert message.startswith('train_dataloader')
    assert str(truncated) in message
    assert 'JSONDecodeError' in message and 'truncated' in message
