"""Safe (weights_only) saving and loading of mmengine checkpoints."""
import copy
import io
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader

from mmcae.utils.checkpoint_compat import (TRUST_ENV_VAR,
                                           UnsafeCheckpointError,
                                           load_local_checkpoint)

from ..conftest import REPO_ROOT, run_python_tool


def _buffer() -> HistoryBuffer:
    buffer = HistoryBuffer(max_length=5)
    for value, count in [(1.0, 1), (2.5, 2), (4.0, 1), (0.5, 3)]:
        buffer.update(value, count)
    return buffer


def _message_hub_state() -> dict:
    hub = MessageHub.get_instance('mmcae-test-compat')
    for value in (0.9, 0.7, 0.4):
        hub.update_scalar('train/loss', value)
    hub.update_info('iter', 3)
    hub.update_info('best_score', np.float64(0.75))
    hub.update_info('history', np.arange(4, dtype=np.int32))
    return hub.state_dict()


def test_history_buffer_round_trips_through_weights_only(tmp_path):
    path = str(tmp_path / 'buffer.pth')
    torch.save({'buffer': _buffer()}, path)
    loaded = load_local_checkpoint(path, trust=False)['buffer']
    original = _buffer()
    assert isinstance(loaded, HistoryBuffer)
    assert loaded.max_length == 5
    np.testing.assert_array_equal(loaded.data[0], original.data[0])
    np.testing.assert_array_equal(loaded.data[1], original.data[1])
    for method in ('min', 'max', 'current', 'mean'):
        assert loaded.statistics(method) == original.statistics(method)
    # the loaded buffer keeps working
    loaded.update(10.0)
    assert loaded.current() == 10.0 and loaded.max() == 10.0


def test_deepcopy_of_history_buffer_is_exact():
    original = _buffer()
    copied = copy.deepcopy(original)
    assert copied is not original
    np.testing.assert_array_equal(copied.data[0], original.data[0])
    assert copied.mean(2) == original.mean(2)


def test_message_hub_state_with_numpy_loads_safely(tmp_path):
    path = str(tmp_path / 'hub.pth')
    state = _message_hub_state()
    torch.save({'message_hub': state, 'meta': {'seed': 0}}, path)
    loaded = load_local_checkpoint(path, trust=False)['message_hub']
    assert loaded['runtime_info']['best_score'] == 0.75
    assert isinstance(loaded['runtime_info']['best_score'], np.float64)
    np.testing.assert_array_equal(loaded['runtime_info']['history'],
                                  np.arange(4, dtype=np.int32))
    assert loaded['runtime_info']['history'].dtype == np.int32
    hub = MessageHub.get_instance('mmcae-test-compat-restored')
    hub.load_state_dict(loaded)
    assert hub.get_scalar('train/loss').current() == pytest.approx(0.4)
    assert hub.get_scalar('train/loss').mean() == pytest.approx(2.0 / 3)


def test_mmengine_loader_uses_the_safe_loader(tmp_path):
    path = str(tmp_path / 'model.pth')
    torch.save({'state_dict': {'w': torch.arange(3.)}, 'message_hub':
                _message_hub_state()}, path)
    checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert torch.equal(checkpoint['state_dict']['w'], torch.arange(3.))
    with pytest.raises(FileNotFoundError, match='checkpoint file not found'):
        CheckpointLoader.load_checkpoint(str(tmp_path / 'missing.pth'))


def _plain_mmengine_checkpoint(path: str) -> None:
    """What plain mmengine (no mmcae import) writes for its message hub."""
    code = (
        'import sys, torch\n'
        'from mmengine.logging import MessageHub\n'
        "hub = MessageHub.get_instance('plain')\n"
        "hub.update_scalar('train/loss', 0.5)\n"
        "hub.update_scalar('train/loss', 0.25)\n"
        "assert 'mmcae' not in sys.modules\n"
        "torch.save({'message_hub': hub.state_dict(),"
        " 'state_dict': {'w': torch.ones(2)}}, sys.argv[1])\n")
    subprocess.run([sys.executable, '-c', code, path], check=True,
                   cwd=REPO_ROOT, timeout=120)


def test_plain_mmengine_checkpoint_needs_explicit_opt_in(tmp_path,
                                                         monkeypatch):
    path = str(tmp_path / 'plain.pth')
    _plain_mmengine_checkpoint(path)
    # plain torch refuses it: this is the breakage being fixed
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    monkeypatch.delenv(TRUST_ENV_VAR, raising=False)
    with pytest.raises(UnsafeCheckpointError) as error:
        load_local_checkpoint(path)
    message = str(error.value)
    assert path in message and TRUST_ENV_VAR in message
    assert 'getattr' in message  # names what the file references

    monkeypatch.setenv(TRUST_ENV_VAR, '1')
    with pytest.warns(UserWarning, match='full unpickling'):
        trusted = load_local_checkpoint(path)
    assert trusted['message_hub']['log_scalars']['train/loss'].current() \
        == 0.25

    # and the resave tool turns it into a file that loads safely
    monkeypatch.delenv(TRUST_ENV_VAR)
    fixed = str(tmp_path / 'fixed.pth')
    refused = run_python_tool('tools/misc/resave_checkpoint.py', path, fixed)
    assert refused.returncode == 2 and 'Traceback' not in refused.stderr
    assert TRUST_ENV_VAR in refused.stderr
    done = run_python_tool('tools/misc/resave_checkpoint.py', '--trust',
                           path, fixed)
    assert done.returncode == 0, done.stderr[-3000:]
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no trust warning any more
        resaved = load_local_checkpoint(fixed, trust=False)
    assert resaved['message_hub']['log_scalars']['train/loss'].mean() \
        == pytest.approx(0.375)
    assert torch.equal(resaved['state_dict']['w'], torch.ones(2))


def test_allow_list_does_not_admit_code(tmp_path):
    """A pickle that calls os.system (or getattr) is refused, trust off."""

    class Evil:

        def __reduce__(self):
            import os
            return (os.system, ('echo pwned',))

    path = str(tmp_path / 'evil.pth')
    buffer = io.BytesIO()
    torch.save({'x': Evil()}, buffer)
    with open(path, 'wb') as f:
        f.write(buffer.getvalue())
    with pytest.raises(UnsafeCheckpointError, match='system'):
        load_local_checkpoint(path, trust=False)

    with open(str(tmp_path / 'getattr.pth'), 'wb') as f:
        torch.save({'m': getattr}, f)
    with pytest.raises(UnsafeCheckpointError):
        load_local_checkpoint(str(tmp_path / 'getattr.pth'), trust=False)
