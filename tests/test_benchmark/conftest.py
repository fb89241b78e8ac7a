"""Fixtures of the benchmark tests: the small demo ImageNet set, made once
for every module that trains on it."""
import os.path as osp

import pytest


@pytest.fixture(scope='session')
def small_demo_imagenet(small_demo_sets) -> str:
    """The 'small' demo ImageNet set (48 training, 16 val images of the 8
    demo classes); the benchmarks only read it."""
    return osp.join(small_demo_sets, 'imagenet')


@pytest.fixture
def endless_sampler_config(tmp_path):
    """A function: config path -> a child config in ``tmp_path`` that draws
    its training batches from mmengine's InfiniteSampler. An iteration-based
    run on the 48-image small set otherwise ends an epoch every few steps,
    and mmengine pauses 2 s at each epoch end; what the benchmarks check
    does not depend on where the epochs end."""

    def make(config: str) -> str:
        child = tmp_path / ('endless_' + osp.basename(config))
        child.write_text(
            f'_base_ = [{config!r}]\n'
            "train_dataloader = dict(sampler=dict(type='InfiniteSampler', "
            'shuffle=True))\n')
        return str(child)

    return make
