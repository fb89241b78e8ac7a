"""Fixtures of the benchmark tests: the small demo ImageNet set, made once
for every module that trains on it."""
import pytest


@pytest.fixture(scope='session')
def small_demo_imagenet(tmp_path_factory) -> str:
    """The 'small' demo ImageNet set (48 training, 16 val images of the 8
    demo classes); the benchmarks only read it."""
    from mmcae.datasets.demo import make_demo_data
    root = tmp_path_factory.mktemp('demo')
    make_demo_data(str(root), size='small', sets=('imagenet', ))
    return str(root / 'imagenet')
