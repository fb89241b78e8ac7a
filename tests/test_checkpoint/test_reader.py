"""Safe (weights_only) saving and loading of mmengine checkpoints."""
import copy
import glob
import io
import os
import os.path as osp
import pickle
import re
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader

from mmcae.checkpoint import (TRUST_ENV_VAR, TRUST_FLAGS, CheckpointReadError,
                              UnsafeCheckpointError, load_local_checkpoint,
                              trust_advice)
from mmcae.checkpoint.diagnose import pickle_globals
from mmcae.utils.errors import UserError

from tests.helpers import REPO_ROOT, run_python_tool


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


def test_plain_mmengine_checkpoint_needs_explicit_opt_in(
        tmp_path, monkeypatch, capsys):
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
    # without --trust: refused in one line (in this process, as the tool
    # runs it); with it, the tool itself
    from mmcae.checkpoint.cli import resave_main
    from mmcae.utils.cli import run_tool
    with monkeypatch.context() as patch:
        patch.setattr(sys, 'argv', [
            osp.join(REPO_ROOT, 'tools', 'misc', 'resave_checkpoint.py')])
        assert run_tool(resave_main, [path, fixed]) == 2
    refused = capsys.readouterr().err
    assert len(refused.strip().splitlines()) == 1
    assert TRUST_ENV_VAR in refused and '--trust' in refused
    assert not osp.exists(fixed)
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


# --------------------------------------------------------------------------
# Files that are no loadable checkpoint: one CheckpointReadError each, that
# names the file and what it is, and never suggests trust


def _torch_bytes(obj, **kwargs) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def _bad_files() -> dict:
    """name -> (bytes, a phrase the message must hold)."""
    good = _torch_bytes({'w': torch.arange(64.)})
    legacy = _torch_bytes({'w': torch.arange(64.)},
                          _use_new_zipfile_serialization=False)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, 'w') as archive:
        archive.writestr('weights/readme.txt', 'not torch')
    random_bytes = np.random.default_rng(0).bytes(256)
    assert random_bytes[:1] not in (b'\x80', b'P')  # not zip, not pickle
    return {
        'empty': (b'', 'the file is empty (0 bytes)'),
        'text': (b'epoch 3: loss 0.51\nepoch 4: loss 0.48\n',
                 "it is a text file, not a checkpoint (it starts with "
                 "'epoch 3: loss"),
        'last_checkpoint': (b'/work_dirs/run/epoch_3.pth',
                            "names '/work_dirs/run/epoch_3.pth'"),
        'random': (random_bytes, 'neither a torch zip archive'),
        'truncated_zip': (good[:len(good) // 2],
                          'it is a truncated or corrupt zip archive'),
        'zip_without_data_pkl': (zipped.getvalue(),
                                 'it is a zip archive but not a torch '
                                 'checkpoint'),
        'plain_pickle': (pickle.dumps({'w': [1.0, 2.0]}),
                         'it is a plain pickle file, not a torch '
                         'checkpoint'),
        'truncated_legacy': (legacy[:len(legacy) - 16],
                             "torch's legacy (non-zip) format but is "
                             'truncated or corrupt'),
        'truncated_legacy_pickle': (legacy[:60],
                                    "torch's legacy (non-zip) format but "
                                    'is truncated or corrupt'),
    }


@pytest.mark.parametrize('case', list(_bad_files()))
@pytest.mark.parametrize('trust', [False, True])
def test_unreadable_file_is_one_error_without_trust_advice(
        case, trust, tmp_path):
    content, phrase = _bad_files()[case]
    path = tmp_path / f'{case}.pth'
    path.write_bytes(content)
    with pytest.raises(CheckpointReadError) as error:
        load_local_checkpoint(str(path), trust=trust)
    message = str(error.value)
    assert message.startswith(f"cannot load checkpoint '{path}': ")
    assert phrase in message
    # trust would not help: not suggested, and refused even when trusted
    assert TRUST_ENV_VAR not in message and '--trust' not in message
    assert isinstance(error.value, UserError)
    assert '\n' not in message


def test_mmengine_loader_reports_a_truncated_checkpoint(tmp_path):
    """What Runner.resume / load_from / init_cfg see."""
    content, _ = _bad_files()['truncated_zip']
    path = tmp_path / 'epoch_2.pth'
    path.write_bytes(content)
    with pytest.raises(CheckpointReadError,
                       match=r"epoch_2\.pth': it is a truncated"):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')


def test_trust_never_unpickles_a_plain_pickle(tmp_path, monkeypatch):
    """torch.load cannot read a plain pickle anyway, so trusting it would
    only run its code and fail: it is refused before any unpickling."""
    marker = tmp_path / 'marker'

    class Touch:

        def __reduce__(self):
            return (open, (str(marker), 'w'))

    path = tmp_path / 'evil.pkl'
    path.write_bytes(pickle.dumps({'x': Touch()}))
    monkeypatch.setenv(TRUST_ENV_VAR, '1')
    with pytest.raises(CheckpointReadError, match='plain pickle'):
        load_local_checkpoint(str(path))
    assert not marker.exists()


@pytest.mark.parametrize('legacy', [False, True])
def test_needs_trust_only_for_well_formed_files_with_unsafe_globals(
        legacy, tmp_path):
    path = str(tmp_path / 'old.pth')
    kwargs = dict(_use_new_zipfile_serialization=False) if legacy else {}
    # os.getcwd: a global the safe loader refuses, harmless to import
    torch.save({'w': torch.ones(2), 'meta': {'fn': os.getcwd}}, path,
               **kwargs)
    with pytest.raises(UnsafeCheckpointError) as error:
        load_local_checkpoint(path, trust=False)
    message = str(error.value)
    assert f"'{path}'" in message
    assert f'{os.getcwd.__module__}.getcwd' in message
    assert TRUST_ENV_VAR in message
    assert isinstance(error.value, UserError)  # tools print one line
    assert isinstance(error.value, pickle.UnpicklingError)  # as before
    with pytest.warns(UserWarning, match='full unpickling'):
        loaded = load_local_checkpoint(path, trust=True)
    assert loaded['meta']['fn'] is os.getcwd
    assert torch.equal(loaded['w'], torch.ones(2))


def test_other_errors_of_a_well_formed_file_stay_torch_own(tmp_path):
    """A readable checkpoint that fails for another reason (here the
    map_location) is not called damaged."""
    path = str(tmp_path / 'good.pth')
    torch.save({'w': torch.ones(2)}, path)

    def no_device(storage, location):
        raise LookupError('no such device here')

    with pytest.raises(LookupError, match='no such device here'):
        load_local_checkpoint(path, map_location=no_device)


def test_pickle_globals_are_found_without_unpickling():
    import collections
    marker_calls = []

    class Spy:

        def __reduce__(self):
            return (marker_calls.append, ('ran', ))

    for protocol in (2, 4, 5):
        data = pickle.dumps({'c': collections.OrderedDict(), 'f': os.getcwd},
                            protocol=protocol)
        found = pickle_globals(io.BytesIO(data))
        assert f'{os.getcwd.__module__}.getcwd' in found, protocol
        assert 'collections.OrderedDict' in found, protocol
    with pytest.raises(ValueError):
        pickle_globals(io.BytesIO(pickle.dumps([1, 2, 3])[:-3]))
    assert marker_calls == []


# --------------------------------------------------------------------------
# The trust advice names the option of the program that is running


def test_trust_advice_names_the_running_tools_option():
    converter = osp.join(REPO_ROOT, 'tools', 'model_converters',
                         'convert_checkpoint.py')
    assert trust_advice(converter) == (
        'pass --trust to tools/model_converters/convert_checkpoint.py (or '
        f'set {TRUST_ENV_VAR}=1)')
    assert trust_advice('tools/train.py').startswith(
        'pass --trust-checkpoint to tools/train.py')
    # a program without a trust option: the variable and every option
    other = trust_advice('/usr/bin/my_script.py')
    assert other.startswith(f'set {TRUST_ENV_VAR}=1')
    assert '--trust of convert_checkpoint.py' in other
    assert 'train.py' in other and '--trust-checkpoint of' in other


#: how each tool of TRUST_FLAGS builds its command line in the package:
#: (module, parser builder, its arguments, the name the tool calls)
_PARSERS = {
    'train.py': ('mmcae.utils.cli', 'build_train_parser', (), 'run_train'),
    'test.py': ('mmcae.utils.cli', 'build_test_parser', (), 'run_test'),
    'model_converters/convert_checkpoint.py':
    ('mmcae.checkpoint.cli', 'build_convert_parser', (), 'convert_main'),
    'model_converters/convert_dalle_encoder.py':
    ('mmcae.checkpoint.cli', 'build_dalle_parser', (), 'convert_dalle_main'),
    'model_converters/publish_model.py':
    ('mmcae.checkpoint.cli', 'build_publish_parser', (), 'publish_main'),
    'misc/resave_checkpoint.py':
    ('mmcae.checkpoint.cli', 'build_resave_parser', (), 'resave_main'),
    'analysis_tools/attention_distance.py':
    ('mmcae.analysis.cli', 'attention_distance_parser', (),
     'parse_attention_distance_args'),
    'analysis_tools/cls_attention_maps.py':
    ('mmcae.analysis.cli', 'cls_attention_parser', (),
     'parse_attention_map_args'),
    'analysis_tools/attentive_probe_maps.py':
    ('mmcae.analysis.cli', 'attentive_probe_parser', (),
     'parse_attention_map_args'),
    'analysis_tools/visualize_ccmim_masks.py':
    ('mmcae.analysis.cli', 'ccmim_masks_parser', (),
     'parse_ccmim_masks_args'),
    'analysis_tools/cae_reconstruction.py':
    ('mmcae.analysis.cli', 'cae_reconstruction_parser', (),
     'parse_cae_reconstruction_args'),
    'analysis_tools/patch_tsne.py':
    ('mmcae.analysis.cli', 'patch_tsne_parser', (), 'parse_patch_tsne_args'),
    'analysis_tools/decoder_attention_similarity.py':
    ('mmcae.analysis.cli', 'decoder_arg_parser',
     ('decoder_attention_similarity.py', ''), 'decoder_arg_parser'),
    'analysis_tools/relative_attention_maps.py':
    ('mmcae.analysis.cli', 'decoder_arg_parser',
     ('relative_attention_maps.py', ''), 'decoder_arg_parser'),
}


def _tool_help(tool: str) -> str:
    """The --help text of the package parser that ``tools/<tool>`` uses."""
    import importlib
    module, builder, args, _ = _PARSERS[tool]
    return getattr(importlib.import_module(module), builder)(*args)\
        .format_help()


@pytest.mark.parametrize('tool', sorted(TRUST_FLAGS))
def test_tools_use_the_package_parser(tool):
    """So the package parser's help below is the tool's."""
    module, _, _, called = _PARSERS[tool]
    with open(osp.join(REPO_ROOT, 'tools', tool)) as f:
        source = f.read()
    assert re.search(rf'^from {re.escape(module)} import', source, re.M), \
        tool
    assert re.search(rf'\b{called}\b', source), (tool, called)


@pytest.mark.parametrize('tool', sorted(TRUST_FLAGS))
def test_trust_flag_table_matches_the_tools(tool):
    assert re.search(rf'(^|\s){re.escape(TRUST_FLAGS[tool])}(\s|$)',
                     _tool_help(tool), re.M), tool


def test_every_tool_with_a_trust_option_is_in_the_table():
    """A tool that defines a trust option itself, reads one, or builds
    its command line with a package parser that has one, must be in
    TRUST_FLAGS."""
    shared = ('add_run_arguments', ) + tuple(
        called for _, _, _, called in _PARSERS.values())
    tools_dir = osp.join(REPO_ROOT, 'tools')
    with_option = set()
    for path in glob.glob(osp.join(tools_dir, '**', '*.py'), recursive=True):
        with open(path) as f:
            source = f.read()
        if re.search(r"'--trust[\w-]*'|\bargs\.trust", source) or any(
                re.search(rf'\b{name}\b', source) for name in shared):
            with_option.add(osp.relpath(path, tools_dir).replace(os.sep, '/'))
    assert with_option == set(TRUST_FLAGS)


def test_downloaded_checkpoints_load_safely(tmp_path):
    """mmengine's URL schemes (here through load_from_http, with a file://
    URL) read the downloaded file like a local one: torch.hub's own
    loader would unpickle it in full."""
    from mmengine.runner.checkpoint import load_from_http
    served = tmp_path / 'served'
    served.mkdir()
    cache = str(tmp_path / 'cache')
    torch.save({'state_dict': {'w': torch.arange(3.)},
                'message_hub': _message_hub_state()}, served / 'good.pth')
    loaded = load_from_http((served / 'good.pth').as_uri(), model_dir=cache,
                            progress=False)
    assert torch.equal(loaded['state_dict']['w'], torch.arange(3.))
    assert osp.isfile(osp.join(cache, 'good.pth'))  # torch.hub's cache
    torch.save({'fn': os.getcwd}, served / 'old.pth')
    with pytest.raises(UnsafeCheckpointError,
                       match=r"cache/old\.pth' cannot be loaded safely"):
        load_from_http((served / 'old.pth').as_uri(), model_dir=cache,
                       progress=False)
