"""Reading OpenAI's pickled DALL-E encoder without the dall_e package."""
import sys
import types

import pytest
import torch
from mmengine.registry import MODELS, DefaultScope
from torch import nn

from mmcae.checkpoint import UnsafeCheckpointError, load_openai_dalle_encoder
from mmcae.checkpoint.cli import convert_dalle_main
from mmcae.utils.cli import run_tool

from tests.helpers import perturb, run_python_tool


def _tiny_dalle():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(
            dict(type='DALL-E', n_hid=4, n_blk_per_group=1, vocab_size=16))


def _write_openai_style_pickle(path):
    """Pickle a DALL-E encoder whose classes live in a ``dall_e`` package,
    as OpenAI's encoder.pkl does, then make that package unimportable."""
    encoder = perturb(_tiny_dalle())
    package = types.ModuleType('dall_e')
    encoder_module = types.ModuleType('dall_e.encoder')
    utils_module = types.ModuleType('dall_e.utils')
    classes = {}
    for module, name in ((encoder_module, 'Encoder'),
                         (encoder_module, 'EncoderBlock'), (utils_module,
                                                            'Conv2d')):
        cls = type(name, (nn.Module, ), {'__module__': module.__name__})
        setattr(module, name, cls)
        classes[name] = cls
    originals = {}
    for sub in encoder.modules():
        kind = type(sub).__name__
        mapped = {'DALLEEncoder': 'Encoder'}.get(kind, kind)
        if mapped in classes:
            originals[sub] = type(sub)
            sub.__class__ = classes[mapped]
    names = {
        'dall_e': package,
        'dall_e.encoder': encoder_module,
        'dall_e.utils': utils_module
    }
    sys.modules.update(names)
    try:
        torch.save(encoder, path)
    finally:
        for name in names:
            sys.modules.pop(name)
        for sub, cls in originals.items():
            sub.__class__ = cls
    return encoder


def test_reads_the_pickled_encoder_only_when_trusted(tmp_path):
    path = str(tmp_path / 'encoder.pkl')
    original = _write_openai_style_pickle(path)
    assert 'dall_e' not in sys.modules
    with pytest.raises(ModuleNotFoundError):  # plain torch cannot
        torch.load(path, weights_only=False)
    with pytest.raises(UnsafeCheckpointError, match='--trust'):
        load_openai_dalle_encoder(path)
    state = load_openai_dalle_encoder(path, trust=True)
    expected = original.state_dict()
    assert list(state) == list(expected)
    assert all(torch.equal(state[k], expected[k]) for k in expected)
    # the plain state dict loads into mmpretrain's DALL-E and reproduces it
    fresh = _tiny_dalle()
    fresh.load_state_dict(state, strict=True)
    images = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(fresh(images), original(images))


def test_converter_tool(tmp_path, capsys, monkeypatch):
    path = str(tmp_path / 'encoder.pkl')
    _write_openai_style_pickle(path)
    out = str(tmp_path / 'dalle_encoder.pth')
    # without --trust: refused in one line (in this process, as the tool
    # runs it); with it, the tool itself
    monkeypatch.setattr(sys, 'argv', ['convert_dalle_encoder.py'])
    monkeypatch.delenv('MMCAE_TRUST_CHECKPOINTS', raising=False)
    assert run_tool(convert_dalle_main, [path, out]) == 2
    refused = capsys.readouterr().err
    assert '--trust' in refused and len(refused.strip().splitlines()) == 1
    done = run_python_tool('tools/model_converters/convert_dalle_encoder.py',
                           '--trust', path, out)
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'vocabulary 16' in done.stdout
    state = torch.load(out, weights_only=True)['state_dict']  # safe now
    _tiny_dalle().load_state_dict(state, strict=True)
