"""mmcae.checkpoint.publish: what a published checkpoint keeps, its
content-hash name, and the refusals (the tool's end-to-end tests are in
tests/test_tools/test_publish_model.py)."""
import io
import os
import os.path as osp
import pickle
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.config import Config

import mmcae
from mmcae.checkpoint import (CheckpointFormatError,
                              build_published_checkpoint, code_version_meta,
                              save_with_content_hash)
from mmcae.models import ViT

from tests.helpers import TINY_VIT, perturb

CODE_META = dict(mmcae_version='0.0.0', git_hash=None)


class _Opaque:
    """A pickled object that torch's safe loader refuses."""


def _weights_only(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def test_meta_becomes_loadable_and_unloadable_entries_are_dropped():
    meta = OrderedDict(
        cfg=Config(dict(model=dict(type='mmcae.ViT'))),
        epoch=np.int64(3),
        history=dict(loss=np.array([0.5, 0.25]), classes=('a', 'b')),
        hook=_Opaque(),
        seed=0)
    published, dropped = build_published_checkpoint(
        dict(state_dict={'w': torch.ones(1)}, meta=meta),
        code_meta=CODE_META)
    assert dropped == ['hook']
    loaded = _weights_only(published)['meta']
    assert list(loaded) == ['cfg', 'epoch', 'history', 'seed',
                            'mmcae_version', 'git_hash']
    assert "type='mmcae.ViT'" in loaded['cfg']  # a Config is kept as text
    assert loaded['epoch'] == 3 and type(loaded['epoch']) is int
    assert loaded['history'] == dict(loss=[0.5, 0.25], classes=('a', 'b'))
    assert meta['epoch'] == np.int64(3)  # the input is not changed


def test_backbone_only_converts_a_cae_release_layout():
    vit = perturb(ViT(arch=TINY_VIT, img_size=32, patch_size=8,
                      qkv_bias='qv', layer_scale_init_value=0.1))
    # the official CAE repository's names: 'encoder.' + BEiT-style blocks
    state_dict = {f'encoder.{k}': v for k, v in vit.state_dict().items()}
    state_dict['decoder.mask_token'] = torch.zeros(1, 1, 32)
    published, _ = build_published_checkpoint(
        dict(state_dict=state_dict, meta=dict(epoch=800)),
        backbone_only=True, code_meta=CODE_META)
    source = published['meta'].pop('source')
    assert published['meta'] == dict(epoch=800, source_format='cae',
                                     **CODE_META)
    # the facts loading checks: a 32-d CAE file has no known head count
    assert source == dict(format='cae', embed_dims=32, num_layers=2,
                          mlp_hidden_dims=128, with_dist_token=False)
    own = vit.state_dict()
    assert set(published['state_dict']) == set(own)
    assert all(torch.equal(published['state_dict'][k], own[k]) for k in own)


@pytest.mark.parametrize('checkpoint', [
    {'w': torch.ones(1)},  # a bare state dict
    dict(meta=dict(epoch=1), optimizer=dict(state={})),
    [torch.ones(1)],
])
def test_a_checkpoint_without_state_dict_is_refused(checkpoint):
    with pytest.raises(CheckpointFormatError, match='state_dict|dict'):
        build_published_checkpoint(checkpoint, code_meta=CODE_META)


def test_code_version_names_mmcae_and_its_commit(monkeypatch, tmp_path):
    meta = code_version_meta()
    assert meta['mmcae_version'] == mmcae.__version__
    assert meta['git_hash'] is None or re.fullmatch(r'[0-9a-f]{40}(\+dirty)?',
                                                    meta['git_hash'])
    monkeypatch.setenv('PATH', str(tmp_path))  # no git: no hash, no error
    assert code_version_meta()['git_hash'] is None


def test_content_hash_name_and_refusals(tmp_path):
    checkpoint = dict(state_dict={'w': torch.arange(4.)}, meta=dict(iter=1))
    path, sha256 = save_with_content_hash(checkpoint,
                                          str(tmp_path / 'sub' / 'm.pth'))
    assert path == str(tmp_path / 'sub' / f'm-{sha256[:8]}.pth')
    assert torch.equal(
        torch.load(path, weights_only=True)['state_dict']['w'],
        torch.arange(4.))

    # a different file under the final name is not replaced
    with open(path, 'wb') as f:
        f.write(b'something else')
    with pytest.raises(FileExistsError, match='other content'):
        save_with_content_hash(checkpoint, str(tmp_path / 'sub' / 'm'))
    with open(path, 'rb') as f:
        assert f.read() == b'something else'

    # objects that need full unpickling: refused, nothing left behind
    with pytest.raises(pickle.UnpicklingError):
        save_with_content_hash(dict(state_dict={'w': _Opaque()}),
                               str(tmp_path / 'sub' / 'opaque'))
    assert os.listdir(tmp_path / 'sub') == [osp.basename(path)]

    with pytest.raises(ValueError, match='folder'):
        save_with_content_hash(checkpoint, str(tmp_path) + os.sep)
