"""The installed-stack check."""
import pytest

import mmcae
from mmcae import version


def test_installed_stack_is_the_tested_one():
    assert mmcae.__version__ == version.__version__
    assert version.check_stack(strict=True) == []


def test_mismatch_names_package_and_fix(monkeypatch):
    real = version._installed_version

    def fake(dist):
        return {'mmcv': '2.2.0', 'mmdet': ''}.get(dist, real(dist))

    monkeypatch.setattr(version, '_installed_version', fake)
    problems = version.stack_problems()
    assert len(problems) == 2
    mmcv_line = next(p for p in problems if p.startswith('mmcv'))
    assert 'mmcv 2.2.0 is installed' in mmcv_line
    assert 'tools/install.sh' in mmcv_line
    mmdet_line = next(p for p in problems if p.startswith('mmdet'))
    assert 'pip install mmdet==3.3.0' in mmdet_line
    with pytest.warns(UserWarning, match='mmcv 2.2.0'):
        version.check_stack()
    with pytest.raises(RuntimeError, match='mmdet is not installed'):
        version.check_stack(strict=True)
