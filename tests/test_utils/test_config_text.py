"""Reading a dumped mmengine config as literals, never executing it."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmcae.utils.config_text import (ConfigTextError, parse_config_literals,
                                     read_config_literals)
from mmcae.utils.errors import UserError

from tests.helpers import REPO_ROOT

#: one config per framework and kind, with tuples, negative numbers,
#: nested lists of dicts, None / True / False and keys that need quoting
CONFIGS = [
    'configs/cae/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py',
    'configs/cae/benchmarks/vit-tiny-p8_linear-probe_1xb64-lars-20e_'
    'demo-in1k.py',
    'configs/cae/upernet_cae-vit-base-p16-300e_8xb2-amp-160k-lr3e-4_'
    'ade20k-512x512.py',
    'configs/cae/mask-rcnn_cae-vit-base-p16-300e_8xb4-amp-1x_coco.py',
]


@pytest.mark.parametrize('config', CONFIGS)
def test_dumped_real_config_round_trips(config, tmp_path):
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    dumped = str(tmp_path / osp.basename(config))
    cfg.dump(dumped)  # what mmengine's runner writes into the work dir
    literals = read_config_literals(dumped)
    assert literals == cfg.to_dict()
    # and what executing the dump gives (the reader it replaces)
    assert literals == Config.fromfile(dumped).to_dict()
    # the key collect_results.py reads
    init_cfg = (literals['model'].get('backbone') or {}).get('init_cfg')
    expected = cfg.model.get('backbone', {}).get('init_cfg')
    assert init_cfg == (None if expected is None else expected.to_dict())
    # the text itself works as well
    assert parse_config_literals(cfg.pretty_text) == literals


def test_the_literal_forms_mmengine_writes():
    cfg = Config(
        dict(
            a=1,
            b=-2.5e-05,
            c=[1, (2, -3), dict(x='y', z=None)],
            d={'a-b': dict(q=True, r=[]), 0: 'int key'},
            e=(),
            s='it\'s "quoted"',
            nested=dict(k={'x.y': False}),
            single=(1, ),
            big=1e10))
    assert read_config_literals(cfg.pretty_text) == cfg.to_dict()
    assert read_config_literals('x = +3\ny = -(-2)\nz = {1, 2}\n') == dict(
        x=3, y=2, z={1, 2})


@pytest.mark.parametrize(
    'source, what', [
        ("x = __import__('os').system('echo hi')", 'a call'),
        ('x = dict(a=open("f"))', 'a call'),
        ('import os', 'an import'),
        ('from os import system', 'an import'),
        ('x = os.environ', 'an attribute access'),
        ('x = inf', 'a name'),
        ('x = lambda: 1', 'a lambda'),
        ('x = [i for i in range(3)]', 'a comprehension'),
        ('x = dict(**other)', 'an unpacking'),
        ('x = {**other}', 'an unpacking'),
        ('x = dict([("a", 1)])', 'a dict() call'),
        ('x = 1 + 2', 'an operator expression'),
        ("x = f'{y}'", 'an f-string'),
        ("x = -'a'", 'an operator on a value that is not a number'),
        ('x = y = 1', 'an assignment to several names'),
        ('x[0] = 1', 'an assignment to several names or an item'),
        ("'a docstring'", 'an expression statement'),
        ('def f():\n    pass', 'a function definition'),
        ('x = ...', 'a constant of another type'),
        ('x = {[1]: 2}', 'an unhashable dict key'),
        ('x = (', 'not valid Python'),
    ])
def test_anything_but_literals_is_refused_naming_file_and_line(
        source, what, tmp_path):
    path = str(tmp_path / 'config.py')
    with open(path, 'w') as f:
        f.write('ok = dict(type="Fine")\n' + source + '\n')
    with pytest.raises(ConfigTextError) as error:
        read_config_literals(path)
    message = str(error.value)
    assert message.startswith(f'{path}:2: {what}'), message
    assert isinstance(error.value, UserError)


def test_a_planted_command_is_not_run(tmp_path):
    marker = tmp_path / 'marker'
    path = tmp_path / 'evil.py'
    path.write_text(
        "default_scope = 'mmpretrain'\n"
        f"model = dict(type=__import__('os').system('touch {marker}'))\n")
    with pytest.raises(ConfigTextError, match=r'evil\.py:2: a call'):
        read_config_literals(str(path))
    with pytest.raises(ConfigTextError, match=r'<config text>:2: a call'):
        read_config_literals(path.read_text())
    assert not marker.exists()


def test_path_or_text_and_unreadable_files(tmp_path):
    path = tmp_path / 'dumped.py'
    path.write_text('a = 1\n')
    assert read_config_literals(str(path)) == dict(a=1)
    assert read_config_literals(path) == dict(a=1)  # a PathLike
    assert read_config_literals('a = 1') == dict(a=1)  # a one-line text
    assert read_config_literals('') == {}
    with pytest.raises(ConfigTextError,
                       match=r"cannot read config '.*missing\.py'"):
        read_config_literals(str(tmp_path / 'missing.py'))
