"""The converters' messages for a checkpoint that needs trust (the flag they
name is one they accept) and for a damaged one (one line, no trust)."""
import importlib.util
import io
import os
import os.path as osp
import pickle
import re
import sys

import pytest
import torch

from mmcae.utils.checkpoint_compat import TRUST_ENV_VAR
from mmcae.utils.cli import run_tool

from ..conftest import REPO_ROOT, TINY_VIT, run_python_tool

CONVERTER = 'tools/model_converters/convert_checkpoint.py'


def _needs_trust(path: str) -> str:
    """A tiny mmcae.ViT checkpoint whose meta holds a function reference
    (as plain mmengine's pickled objects do): the safe loader refuses it,
    trusting it only imports os.getcwd."""
    from mmcae.models import ViT
    torch.manual_seed(0)
    model = ViT(arch=TINY_VIT, img_size=32, patch_size=8)
    torch.save({'state_dict': model.state_dict(), 'meta': {'fn': os.getcwd}},
               path)
    return path


def _named_flag(stderr: str, tool: str) -> str:
    found = re.search(rf'pass (--[\w-]+) to {re.escape(tool)} \(or set '
                      rf'{TRUST_ENV_VAR}=1\)', stderr)
    assert found, stderr
    return found.group(1)


def test_converter_names_its_own_trust_flag_and_accepts_it(tmp_path):
    source = _needs_trust(str(tmp_path / 'plain_mmengine.pth'))
    out = str(tmp_path / 'converted.pth')
    env = {TRUST_ENV_VAR: ''}
    refused = run_python_tool(CONVERTER, source, out, env=env)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and 'Traceback' not in refused.stderr, lines
    assert source in lines[0] and 'getcwd' in lines[0]
    flag = _named_flag(lines[0], CONVERTER)
    assert flag == '--trust'
    assert not osp.exists(out)
    done = run_python_tool(CONVERTER, source, out, flag, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert torch.load(out, weights_only=True)['state_dict']


def test_converter_reports_a_damaged_file_in_one_line(tmp_path):
    source = _needs_trust(str(tmp_path / 'epoch_1.pth'))
    with open(source, 'rb') as f:
        data = f.read()
    with open(source, 'wb') as f:
        f.write(data[:len(data) // 3])  # the run was killed while saving
    result = run_python_tool(CONVERTER, source, str(tmp_path / 'out.pth'),
                             '--trust')
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"convert_checkpoint.py: error: cannot load checkpoint '{source}': "
        'it is a truncated or corrupt zip archive (zipfile: File is not a '
        'zip file), e.g. a checkpoint written only partly because the run '
        'was killed or the disk filled up while saving, or an incomplete '
        'copy. Use another checkpoint (e.g. the previous one of the run) or '
        'copy / download this one again; trusting the file would not help')


def _load_tool(relative: str):
    path = osp.join(REPO_ROOT, relative)
    spec = importlib.util.spec_from_file_location(
        '_tool_' + osp.basename(relative)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('tool', [
    'tools/model_converters/publish_model.py',
    'tools/misc/resave_checkpoint.py',
])
def test_other_converters_name_a_flag_they_accept(tool, tmp_path, capsys,
                                                  monkeypatch):
    """In this process, as the tool itself would run (sys.argv[0])."""
    source = _needs_trust(str(tmp_path / 'plain_mmengine.pth'))
    monkeypatch.delenv(TRUST_ENV_VAR, raising=False)
    monkeypatch.setattr(sys, 'argv', [osp.join(REPO_ROOT, tool)])
    module = _load_tool(tool)
    status = run_tool(module.main, [source, str(tmp_path / 'out')])
    stderr = capsys.readouterr().err
    assert status == 2
    flag = _named_flag(stderr, tool)
    with pytest.raises(SystemExit):
        module.main(['--help'])
    assert re.search(rf'\s{re.escape(flag)}\s', capsys.readouterr().out)
    if tool.endswith('resave_checkpoint.py'):
        # no advice to run the tool that is running
        assert 'resave_checkpoint.py --trust IN OUT' not in stderr


def test_dalle_converter_never_unpickles_a_file_of_another_kind(
        tmp_path, capsys):
    """--trust unpickles encoder.pkl in full: a plain pickle (which
    torch.load could not read anyway) or a damaged file is refused from
    its bytes, with one line and nothing run."""
    marker = tmp_path / 'marker'

    class Touch:

        def __reduce__(self):
            return (open, (str(marker), 'w'))

    plain = tmp_path / 'encoder.pkl'
    plain.write_bytes(pickle.dumps({'encoder': Touch()}))
    truncated = tmp_path / 'partial.pkl'
    truncated.write_bytes(_torch_bytes()[:100])
    module = _load_tool('tools/model_converters/convert_dalle_encoder.py')
    for source, what in (
        (plain, 'it is a plain pickle file'),
        (truncated, 'it is a truncated or corrupt zip archive'),
    ):
        status = run_tool(module.main,
                          ['--trust', str(source), str(tmp_path / 'out')])
        stderr = capsys.readouterr().err
        assert status == 2
        assert f"cannot load checkpoint '{source}': {what}" in stderr
        assert len(stderr.strip().splitlines()) == 1
    assert not marker.exists()
    assert not (tmp_path / 'out').exists()


def _torch_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.save({'w': torch.zeros(64)}, buffer)
    return buffer.getvalue()
