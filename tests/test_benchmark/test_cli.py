"""The benchmark command line: sub-commands, argument errors reported
before any work starts (usage, message, status 2), user errors met while
running printed as one line."""
import argparse
import types

import pytest

from mmcae.benchmark import cli, classification, detection, segmentation
from mmcae.utils.errors import UserError

COMMANDS = dict(classification=classification, segmentation=segmentation,
                detection=detection)


def _exit_message(capsys, argv):
    with pytest.raises(SystemExit) as raised:
        cli.main('tool.py', 'a tool', COMMANDS, argv)
    assert raised.value.code == 2
    return capsys.readouterr().err


def test_missing_data_is_reported_before_work(tmp_path, capsys):
    err = _exit_message(capsys, [
        'classification', '--data-root', str(tmp_path / 'none'),
        '--work-dir', str(tmp_path / 'work')
    ])
    assert 'tool.py classification: error:' in err
    assert 'is not an ImageNet-layout set; make one with ' \
        'tools/misc/make_demo_data.py --size medium' in err
    assert not (tmp_path / 'work').exists()
    err = _exit_message(capsys, [
        'segmentation', '--data-root', str(tmp_path)])
    assert 'is not an ADE20K-layout set' in err
    checkpoint = tmp_path / 'encoder.pth'
    checkpoint.write_bytes(b'')
    err = _exit_message(capsys, [
        'detection', '--pretrained', str(checkpoint), '--data-root',
        str(tmp_path)])
    assert f'no demo COCO set at {tmp_path}' in err


def test_bad_ranges(tmp_path, capsys):
    (tmp_path / 'meta').mkdir()
    (tmp_path / 'meta' / 'train.txt').write_text('a/1.JPEG 0\n')
    common = ['classification', '--data-root', str(tmp_path)]
    assert '--warmup must be in (0, --epochs)' in _exit_message(
        capsys, common + ['--warmup', '0'])
    assert 'pretrained checkpoint not found: nowhere.pth' in _exit_message(
        capsys, common + ['--pretrained', 'nowhere.pth'])
    assert '--batch-size 64 exceeds the 16 low-shot images' in \
        _exit_message(capsys, common + ['--shots', '2'])
    assert '--iters must be at least 12' in _exit_message(
        capsys, ['detection', '--pretrained', 'x', '--iters', '11'])


def test_user_error_while_running(capsys):

    def run(args):
        raise UserError('checkpoint not found: x.pth')

    module = types.SimpleNamespace(
        __doc__='A benchmark.', add_arguments=lambda parser: None,
        check_arguments=lambda args: None, run=run)
    assert cli.main('tool.py', '', dict(demo=module), ['demo']) == 2
    assert capsys.readouterr().err == \
        'tool.py demo: error: checkpoint not found: x.pth\n'


def test_sub_command_help_is_the_module_docstring():
    parser = cli.build_parser('tool.py', 'a tool', COMMANDS)
    sub = parser._subparsers._group_actions[0].choices['segmentation']
    assert sub.description == segmentation.__doc__
    args = parser.parse_args(['segmentation'])
    assert isinstance(args, argparse.Namespace)
    assert (args.command, args.iters, args.warmup) == ('segmentation', 300,
                                                       20)
