"""Config loading errors that name the file, key and value."""
import pytest
from mmengine.config import Config
from torch import nn

from mmcae.registry import MODELS
from mmcae.utils.config import check_mmcae_types, load_config
from mmcae.utils.errors import UserError


@MODELS.register_module(force=True)
class _ConfigCheckNet(nn.Module):
    pass


def test_registered_mmcae_types_pass_in_any_position():
    cfg = Config(
        dict(
            model=dict(
                type='mmpretrain.ImageClassifier',
                backbone=dict(type='mmcae._ConfigCheckNet')),
            custom_hooks=[dict(type='EMAHook')],
            optim_wrapper=dict(constructor='DefaultOptimWrapperConstructor')))
    check_mmcae_types(cfg, 'x.py')


@pytest.mark.parametrize('cfg_dict, key', [
    (dict(model=dict(backbone=dict(type='mmcae._ConfigCheckNett'))),
     'model.backbone.type'),
    (dict(custom_hooks=[dict(type='EMAHook'),
                        dict(type='mmcae._ConfigCheckNett')]),
     'custom_hooks[1].type'),
    (dict(optim_wrapper=dict(constructor='mmcae._ConfigCheckNett')),
     'optim_wrapper.constructor'),
])
def test_unknown_mmcae_type_names_key_value_and_suggestion(cfg_dict, key):
    with pytest.raises(UserError) as error:
        check_mmcae_types(Config(cfg_dict), 'configs/x.py')
    message = str(error.value)
    assert f"config 'configs/x.py': {key} = 'mmcae._ConfigCheckNett'" \
        in message
    assert "Did you mean 'mmcae._ConfigCheckNet'" in message


def test_missing_config_file_suggests_close_paths(tmp_path, monkeypatch):
    (tmp_path / 'configs' / 'cae').mkdir(parents=True)
    (tmp_path / 'configs' / 'cae' / 'cae_vit-b.py').write_text('a = 1\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as error:
        load_config('configs/cae/cae_vit_b.py')
    assert "config file not found: 'configs/cae/cae_vit_b.py'" in \
        str(error.value)
    assert 'configs/cae/cae_vit-b.py' in str(error.value)
    cfg = load_config('configs/cae/cae_vit-b.py', {'a': 2})
    assert cfg.a == 2


def test_unparsable_config_names_the_file(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text('model = dict(\n')
    with pytest.raises(UserError, match=f"config file '{bad}' could not be"):
        load_config(str(bad))
