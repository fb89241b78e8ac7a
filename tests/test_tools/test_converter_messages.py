"""The converters' messages for a checkpoint that needs trust (the flag they
name is one they accept) and for a damaged one (one line, no trust)."""
import argparse
import io
import os
import os.path as osp
import pickle
import re
import sys

import pytest
import torch

from mmcae.checkpoint import TRUST_ENV_VAR
from mmcae.checkpoint.cli import (convert_dalle_main, convert_main,
                                  publish_main, resave_main)
from mmcae.utils.cli import run_tool

from tests.helpers import REPO_ROOT, TINY_VIT, run_python_tool

CONVERTER = 'tools/model_converters/convert_checkpoint.py'
#: the entry points of the tools (what ``sys.exit(run_tool(MAIN))`` in
#: the tool runs)
_ENTRY_POINTS = {
    CONVERTER: convert_main,
    'tools/model_converters/publish_model.py': publish_main,
    'tools/misc/resave_checkpoint.py': resave_main,
}


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


def _run_in_process(monkeypatch, capsys, tool: str, *argv: str):
    """The tool's ``sys.exit(run_tool(MAIN))`` in this process, with the
    tool as the running program (saves the seconds of a fresh interpreter
    importing the stack).

    Returns:
        tuple: (exit status, stdout, stderr).
    """
    with monkeypatch.context() as patch:
        patch.setattr(sys, 'argv', [osp.join(REPO_ROOT, tool)])
        status = run_tool(_ENTRY_POINTS[tool], list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_converter_names_its_own_trust_flag_and_accepts_it(
        tmp_path, capsys, monkeypatch):
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
    monkeypatch.delenv(TRUST_ENV_VAR, raising=False)
    status, _, stderr = _run_in_process(monkeypatch, capsys, CONVERTER,
                                        source, out, flag)
    assert status == 0, stderr[-3000:]
    assert torch.load(out, weights_only=True)['state_dict']


def _official_training_file(path: str) -> str:
    """What the official CAE / MAE / BEiT ``save_model`` writes: the model
    and the script's pickled ``argparse.Namespace``."""
    from mmcae.models import ViT
    torch.manual_seed(0)
    model = ViT(arch=TINY_VIT, img_size=32, patch_size=8)
    args = argparse.Namespace(model='cae_small_patch16_224', lr=1.5e-3,
                              epochs=300)
    torch.save({'model': model.state_dict(), 'args': args, 'epoch': 299},
               path)
    return path


def test_converter_reads_an_official_training_file_with_either_opt_in(
        tmp_path, capsys, monkeypatch):
    source = _official_training_file(str(tmp_path / 'checkpoint-299.pth'))
    out = str(tmp_path / 'converted.pth')
    monkeypatch.delenv(TRUST_ENV_VAR, raising=False)
    status, _, stderr = _run_in_process(monkeypatch, capsys, CONVERTER,
                                        source, out)
    assert status == 2 and not osp.exists(out)
    assert 'argparse.Namespace' in stderr
    assert (f'pass --trust to {CONVERTER} (or set {TRUST_ENV_VAR}=1)'
            in stderr), stderr
    # the environment variable (read when the tool reads the file: the
    # converter passes trust=None, not False, without --trust); the tool
    # itself runs in a process of its own in the test above
    monkeypatch.setenv(TRUST_ENV_VAR, '1')
    status, stdout, stderr = _run_in_process(monkeypatch, capsys, CONVERTER,
                                             source, out)
    assert status == 0, stderr[-3000:]
    assert 'timm ->' in stdout
    by_env = torch.load(out, weights_only=True)['state_dict']
    os.remove(out)
    monkeypatch.delenv(TRUST_ENV_VAR)
    status, stdout, stderr = _run_in_process(monkeypatch, capsys, CONVERTER,
                                             source, out, '--trust')
    assert status == 0, stderr[-3000:]
    by_flag = torch.load(out, weights_only=True)['state_dict']
    assert set(by_env) == set(by_flag) and all(
        torch.equal(by_env[k], by_flag[k]) for k in by_env)


def test_converter_reports_a_damaged_file_in_one_line(
        tmp_path, capsys, monkeypatch):
    source = _needs_trust(str(tmp_path / 'epoch_1.pth'))
    with open(source, 'rb') as f:
        data = f.read()
    with open(source, 'wb') as f:
        f.write(data[:len(data) // 3])  # the run was killed while saving
    status, _, stderr = _run_in_process(monkeypatch, capsys, CONVERTER,
                                        source, str(tmp_path / 'out.pth'),
                                        '--trust')
    assert status == 2
    assert stderr.strip() == (
        f"convert_checkpoint.py: error: cannot load checkpoint '{source}': "
        'it is a truncated or corrupt zip archive (zipfile: File is not a '
        'zip file), e.g. a checkpoint written only partly because the run '
        'was killed or the disk filled up while saving, or an incomplete '
        'copy. Use another checkpoint (e.g. the previous one of the run) or '
        'copy / download this one again; trusting the file would not help')


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
    main = _ENTRY_POINTS[tool]
    status = run_tool(main, [source, str(tmp_path / 'out')])
    stderr = capsys.readouterr().err
    assert status == 2
    flag = _named_flag(stderr, tool)
    with pytest.raises(SystemExit):
        main(['--help'])
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
    for source, what in (
        (plain, 'it is a plain pickle file'),
        (truncated, 'it is a truncated or corrupt zip archive'),
    ):
        status = run_tool(convert_dalle_main,
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
