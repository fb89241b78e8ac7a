"""tools/model_converters/publish_model.py on the checkpoint of a real (tiny)
CAE pretraining run: tools/train.py on the demo CAE config, shrunk to one
block and two iterations on 8 generated images."""
import hashlib
import os
import os.path as osp
import pickle
import re

import pytest
import torch
from mmengine.config import Config

import mmcae
from mmcae.checkpoint import (build_published_checkpoint,
                              save_with_content_hash)
from mmcae.registry import MODELS
from mmcae.checkpoint import load_local_checkpoint
from mmcae.checkpoint.cli import publish_main
from mmcae.utils.cli import run_tool

from tests.helpers import REPO_ROOT, run_python_tool

TOOL = 'tools/model_converters/publish_model.py'
DEMO_CAE_CONFIG = osp.join(REPO_ROOT, 'configs', 'cae',
                           'cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py')
TRAINING_STATE = ('optimizer', 'param_schedulers', 'message_hub')
IMAGES = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))


def _tiny_cae_config(data_root: str) -> str:
    """The demo CAE config with a 1-block encoder / regressor / decoder, one
    epoch of 2 iterations (batch 4) on ``data_root`` (class folders)."""
    return '\n'.join([
        f'_base_ = [{DEMO_CAE_CONFIG!r}]',
        'train_dataloader = dict(batch_size=4, dataset=dict(_delete_=True, '
        f"type='CustomDataset', data_root={data_root!r}, "
        'pipeline={{_base_.train_pipeline}}))',
        'model = dict(backbone=dict(arch=dict(num_layers=1)), '
        'neck=dict(regressor_depth=1, decoder_depth=1))',
        'train_cfg = dict(max_epochs=1)',
        'default_hooks = dict(checkpoint=dict(interval=1), '
        'logger=dict(interval=1))',
    ]) + '\n'


@pytest.fixture(scope='module')
def trained_checkpoint(tmp_path_factory, tiny_imagenet) -> str:
    """epoch_1.pth of the tiny CAE run, as tools/train.py writes it."""
    root = tmp_path_factory.mktemp('publish_model')
    config = root / 'tiny_cae.py'
    config.write_text(_tiny_cae_config(tiny_imagenet))
    work_dir = root / 'work'
    result = run_python_tool('tools/train.py', str(config), '--work-dir',
                             str(work_dir))
    assert result.returncode == 0, result.stderr[-4000:]
    return str(work_dir / 'epoch_1.pth')


def _sha256(path) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def _published_path(stdout: str, out_dir) -> str:
    """The path the tool reports; it must be the only file it left."""
    path = re.search(r' -> (\S+\.pth)\n', stdout).group(1)
    assert sorted(os.listdir(out_dir)) == [osp.basename(path)]
    return path


def _run_in_process(capsys, *argv: str):
    """The tool's ``sys.exit(run_tool(main))`` in this process (saves the
    seconds of a fresh interpreter importing the stack).

    Returns:
        tuple: (exit status, stdout, stderr).
    """
    status = run_tool(publish_main, list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _run_subprocess(capsys, *argv: str):
    """The tool in its own interpreter, as a user runs it."""
    result = run_python_tool(TOOL, *argv)
    return result.returncode, result.stdout, result.stderr


def _publish(run, capsys, checkpoint: str, out_dir, *flags: str) -> str:
    before = _sha256(checkpoint)
    status, stdout, stderr = run(capsys, checkpoint,
                                 str(out_dir / 'cae_tiny.pth'), *flags)
    assert status == 0, stderr[-4000:]
    path = _published_path(stdout, out_dir)
    # named by the first 8 hex digits of the sha256 of its bytes
    sha256 = _sha256(path)
    assert osp.basename(path) == f'cae_tiny-{sha256[:8]}.pth'
    assert f'sha256: {sha256}' in stdout
    assert f'({osp.getsize(path)} bytes)' in stdout
    assert _sha256(checkpoint) == before  # the input is left as it was
    return path


def test_publish_keeps_weights_and_meta_drops_training_state(
        trained_checkpoint, tmp_path, capsys):
    source = load_local_checkpoint(trained_checkpoint, map_location='cpu')
    assert set(TRAINING_STATE) <= set(source)  # what a runner writes
    # its message hub needs mmcae's allow-list; the published file will not
    with pytest.raises(pickle.UnpicklingError):
        torch.load(trained_checkpoint, weights_only=True)

    path = _publish(_run_subprocess, capsys, trained_checkpoint, tmp_path)
    published = torch.load(path, map_location='cpu', weights_only=True)
    assert set(published) == {'state_dict', 'meta'}
    # every tensor bit for bit, the tokenizer-free CAE's neck included
    assert list(published['state_dict']) == list(source['state_dict'])
    assert any(k.startswith('neck.') for k in published['state_dict'])
    for key, value in source['state_dict'].items():
        assert published['state_dict'][key].dtype == value.dtype, key
        assert torch.equal(published['state_dict'][key], value), key
    meta = published['meta']
    # the run's meta as it was (the config text too) ...
    for key, value in source['meta'].items():
        assert meta[key] == value, key
    assert 'CAENeck' in meta['cfg'] and meta['iter'] == 2
    # ... and the code that published it
    assert meta['mmcae_version'] == mmcae.__version__
    assert meta['git_hash'] is None or re.fullmatch(
        r'[0-9a-f]{40}(\+dirty)?', meta['git_hash'])


def test_backbone_only_gives_the_encoder_in_vit_keys(trained_checkpoint,
                                                     tmp_path, capsys):
    path = _publish(_run_in_process, capsys, trained_checkpoint, tmp_path,
                    '--backbone-only')
    published = torch.load(path, map_location='cpu', weights_only=True)
    assert set(published) == {'state_dict', 'meta'}
    meta = published['meta']
    assert meta['source_format'] == 'mmcae'
    assert meta['mmcae_version'] == mmcae.__version__

    # the encoder of the config text the file carries, with its weights
    backbone_cfg = Config.fromstring(meta['cfg'], '.py').model.backbone
    encoder = MODELS.build(backbone_cfg)
    encoder.load_state_dict(published['state_dict'], strict=True)

    source = load_local_checkpoint(trained_checkpoint, map_location='cpu')
    original = MODELS.build(backbone_cfg)
    original.load_state_dict(
        {
            key[len('backbone.'):]: value
            for key, value in source['state_dict'].items()
            if key.startswith('backbone.')
        },
        strict=True)
    untrained = MODELS.build(backbone_cfg)
    with torch.no_grad():
        ours = encoder.eval()(IMAGES)[0]
        expected = original.eval()(IMAGES)[0]
        other = untrained.eval()(IMAGES)[0]
    assert torch.equal(ours, expected)
    assert not torch.allclose(ours, other)  # the weights matter


def test_same_checkpoint_same_bytes_and_name(trained_checkpoint, tmp_path):
    checkpoint = load_local_checkpoint(trained_checkpoint, map_location='cpu')
    code_meta = dict(mmcae_version=mmcae.__version__, git_hash='0' * 40)
    paths = []
    for folder in ('first', 'second', 'second'):  # twice in the same place
        published, dropped = build_published_checkpoint(
            checkpoint, code_meta=code_meta)
        assert dropped == []
        path, sha256 = save_with_content_hash(
            published, str(tmp_path / folder / 'cae_tiny'))
        assert _sha256(path) == sha256
        paths.append(path)
    assert osp.basename(paths[0]) == osp.basename(paths[1])
    assert _sha256(paths[0]) == _sha256(paths[1])
    assert paths[2] == paths[1]  # the same file: kept, no temp file left
    assert os.listdir(tmp_path / 'second') == [osp.basename(paths[1])]


@pytest.mark.parametrize('case', ['missing', 'no_state_dict', 'not_a_vit'])
def test_bad_input_exits_2_naming_the_file_and_writes_nothing(
        case, tmp_path, capsys):
    source = tmp_path / f'{case}.pth'
    flags = []
    if case == 'no_state_dict':
        torch.save(dict(meta=dict(epoch=1), optimizer=dict(state={})),
                   source)
    elif case == 'not_a_vit':
        torch.save(dict(state_dict=dict(fc=torch.zeros(2))), source)
        flags = ['--backbone-only']
    out_dir = tmp_path / 'out'
    status, _, stderr = _run_in_process(capsys, str(source),
                                        str(out_dir / 'model'), *flags)
    assert status == 2
    assert str(source) in stderr
    assert 'Traceback' not in stderr
    assert not out_dir.exists()
    if case == 'no_state_dict':
        assert "no 'state_dict'" in stderr
