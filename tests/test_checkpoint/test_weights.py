"""The one weight reader: read_state_dict, load_weights_into and the
StrictPretrained initializer."""
import sys

import pytest
import torch
from torch import nn

from mmcae.checkpoint import (CheckpointFormatError, CheckpointMismatchError,
                              CheckpointNotFoundError, UnsafeCheckpointError,
                              diff_state_dict, load_weights_into,
                              read_checkpoint, read_state_dict, strip_prefix)
from mmcae.utils.errors import UserError

from tests.helpers import run_cmd


class _Net(nn.Module):
    """backbone (linear 4 -> 3) + head (linear 3 -> 2)."""

    def __init__(self, classes: int = 2) -> None:
        super().__init__()
        self.backbone = nn.Linear(4, 3)
        self.head = nn.Linear(3, classes)


def _state(seed: int = 0, classes: int = 2) -> dict:
    torch.manual_seed(seed)
    return _Net(classes).state_dict()


def _save(obj, tmp_path, name: str = 'ckpt.pth') -> str:
    path = str(tmp_path / name)
    torch.save(obj, path)
    return path


def test_read_state_dict_unwraps_the_usual_containers(tmp_path):
    state = _state()
    for index, wrapped in enumerate([
            state,
            dict(state_dict=state, meta=dict(epoch=1)),
            dict(model=state),
            dict(model=dict(state_dict=state)),  # nested
            dict(weights=state, decoder_note='ignored'),
    ]):
        path = _save(wrapped, tmp_path, f'{index}.pth')
        read = read_state_dict(path)
        assert list(read) == list(state)
        assert all(torch.equal(read[k], state[k]) for k in state)
    path = _save(dict(teacher=state, student=_state(1)), tmp_path)
    assert torch.equal(read_state_dict(path, key='teacher')['head.bias'],
                       state['head.bias'])
    assert list(read_state_dict(path, key='student', prefix='backbone.')) \
        == ['weight', 'bias']


def test_read_state_dict_errors_name_the_file(tmp_path):
    missing = str(tmp_path / 'nowhere.pth')
    with pytest.raises(CheckpointNotFoundError,
                       match='checkpoint not found: .*nowhere.pth'):
        read_state_dict(missing)
    # one type for both kinds of caller
    assert issubclass(CheckpointNotFoundError, FileNotFoundError)
    assert issubclass(CheckpointFormatError, ValueError)
    assert issubclass(CheckpointMismatchError, UserError)
    path = _save(dict(state_dict=_state()), tmp_path, 'a.pth')
    with pytest.raises(CheckpointFormatError,
                       match=r"a.pth has no entry 'teacher' .*state_dict"):
        read_state_dict(path, key='teacher')
    with pytest.raises(CheckpointFormatError,
                       match=r"a.pth has no key under 'encoder.'; its keys "
                       r"start with \['backbone.bias'"):
        read_state_dict(path, prefix='encoder.')
    for name, content in (('empty.pth', {}), ('meta.pth', dict(epoch=3)),
                          ('list.pth', [1, 2])):
        bad = _save(content, tmp_path, name)
        with pytest.raises(CheckpointFormatError, match=name):
            read_state_dict(bad)


def test_read_checkpoint_is_the_safe_reader(tmp_path, monkeypatch):
    import os
    monkeypatch.delenv('MMCAE_TRUST_CHECKPOINTS', raising=False)
    path = _save({'state_dict': _state(), 'fn': os.getcwd}, tmp_path)
    with pytest.raises(UnsafeCheckpointError, match='getcwd'):
        read_checkpoint(path)
    with pytest.warns(UserWarning, match='full unpickling'):
        assert read_checkpoint(path, trust=True)['fn'] is os.getcwd


def test_strip_prefix_and_diff():
    state = _state()
    assert list(strip_prefix(state, 'head.')) == ['weight', 'bias']
    assert strip_prefix(state, 'neck.') == {}
    own = _Net(classes=5).state_dict()
    file = dict(state, extra=torch.zeros(1))
    del file['backbone.bias']
    diff = diff_state_dict(own, file)
    assert diff.missing == ['backbone.bias']
    assert diff.unexpected == ['extra']
    assert diff.mismatched == ['head.weight', 'head.bias']
    assert diff_state_dict(own, file, ignore_shapes=('.bias', )).mismatched \
        == ['head.weight']


def test_load_weights_into_loads_everything_that_fits(tmp_path):
    state = _state(seed=1)
    # saved from DDP: 'module.' is removed
    path = _save({'state_dict': {f'module.{k}': v
                                 for k, v in state.items()}}, tmp_path)
    model = _Net()
    assert load_weights_into(model, path, allow_unexpected=False) == []
    assert all(torch.equal(model.state_dict()[k], state[k]) for k in state)
    # a state dict works as the source too
    other = _Net()
    assert load_weights_into(other, state) == []
    assert torch.equal(other.head.weight, state['head.weight'])


def test_required_prefixes_leave_the_rest_alone(tmp_path):
    """A checkpoint of another head size: the backbone must fit, the head
    is skipped and reported as not loaded."""
    state = _state(seed=1, classes=7)
    path = _save({'state_dict': state}, tmp_path)
    model = _Net(classes=2)
    head_before = model.head.weight.clone()
    not_loaded = load_weights_into(model, path, required=('backbone.', ))
    assert not_loaded == ['head.weight', 'head.bias']
    assert torch.equal(model.backbone.weight, state['backbone.weight'])
    assert torch.equal(model.head.weight, head_before)


def test_a_misfit_is_one_error_and_loads_nothing(tmp_path):
    state = _state(seed=1, classes=7)
    del state['backbone.bias']
    path = _save({'state_dict': state}, tmp_path, 'other.pth')
    model = _Net(classes=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointMismatchError) as error:
        load_weights_into(model, path, target="the config's model",
                          advice='Check the config.')
    message = str(error.value)
    assert message.startswith(f"{path} does not fit the config's model: ")
    assert "1 missing keys ['backbone.bias']" in message
    assert ("2 shape mismatches (checkpoint vs model) ['head.weight (7, 3) "
            "vs (2, 3)', 'head.bias (7,) vs (2,)']") in message
    assert "the file's keys start with ['backbone.weight'" in message
    assert message.endswith('Check the config.')
    assert len(message.splitlines()) == 1
    assert all(torch.equal(model.state_dict()[k], v)
               for k, v in before.items())
    # only the required keys count; unexpected keys only when strict
    with pytest.raises(CheckpointMismatchError,
                       match=r"missing keys \['backbone.bias'\], keys "
                       r"under \['backbone.'\] must all match"):
        load_weights_into(model, path, required=('backbone.', ))
    path = _save(dict(_state(), extra=torch.zeros(1)), tmp_path, 'x.pth')
    assert load_weights_into(model, path) == []
    with pytest.raises(CheckpointMismatchError,
                       match=r"x.pth does not fit _Net: 1 unexpected keys "
                       r"\['extra'\]"):
        load_weights_into(model, path, allow_unexpected=False)


def test_strict_pretrained_initializer(tmp_path):
    """Models load through mmcae.checkpoint by registry name, without
    importing it; a wrapper's prefix is removed."""
    from mmengine.model import initialize
    state = _state(seed=2)
    path = _save({'state_dict': {f'tokenizer.{k}': v
                                 for k, v in state.items()}}, tmp_path)
    model = _Net()
    initialize(model, dict(type='mmcae.StrictPretrained', checkpoint=path,
                           wrapper_prefixes=('module.', 'tokenizer.')))
    assert torch.equal(model.head.bias, state['head.bias'])
    with pytest.raises(CheckpointMismatchError, match='MyNet'):
        initialize(_Net(classes=3),
                   dict(type='mmcae.StrictPretrained', checkpoint=path,
                        target='MyNet',
                        wrapper_prefixes=('module.', 'tokenizer.')))


def test_no_import_cycle_and_a_light_import():
    """``import mmcae.checkpoint`` (what ``import mmcae`` does) does not
    import the models; the names that need them still import, after or
    before the models."""
    code = '; '.join([
        'import sys', 'import mmcae.checkpoint as c',
        "assert 'mmcae.models' not in sys.modules, 'models imported'",
        'from mmcae.checkpoint import convert_vit_checkpoint, '
        'load_vit_pretrained, build_published_checkpoint',
        'import mmcae.models', 'import mmcae.checkpoint.cli', "print('ok')"
    ])
    result = run_cmd([sys.executable, '-c', code])
    assert result.returncode == 0 and 'ok' in result.stdout, \
        result.stderr[-3000:]
