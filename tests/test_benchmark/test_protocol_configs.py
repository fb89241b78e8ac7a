"""The three demo evaluation configs that ``pretrained_vs_random.py
classification`` runs (linear probe, attentive probe, fine-tuning) through
tools/train.py, from a full CAE pretraining checkpoint of the demo CAE
config, on the 'small' demo ImageNet set. The runs call tools/train.py's
entry point in this process (its command line is run for real in
tests/test_tools)."""
import glob
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmcae.benchmark.classification import CONFIGS as BENCHMARK_CONFIGS
from mmcae.benchmark.classification import PRETRAIN_CONFIG
from mmcae.utils.cli import run_train
from tests.helpers import REPO_ROOT

#: protocol -> its demo config (the name's second field)
CONFIGS = {
    osp.basename(path).split('_')[1].split('-')[0]: osp.relpath(
        path, REPO_ROOT)
    for path in glob.glob(
        osp.join(REPO_ROOT, 'configs/cae/benchmarks/*_demo-in1k.py'))
}
CAE_DEMO = 'configs/cae/cae_vit-tiny-p8_1xb32-pixel-10e_demo-in1k.py'


@pytest.fixture(scope='module')
def demo_and_cae_checkpoint(tmp_path_factory, small_demo_imagenet):
    """The small demo set and a full CAE checkpoint (encoder, regressor,
    decoder...) of the demo CAE model, as tools/train.py saves it."""
    from mmpretrain.registry import MODELS
    root = tmp_path_factory.mktemp('eval_demo')
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        cae = MODELS.build(Config.fromfile(CAE_DEMO).model)
    cae.init_weights()
    checkpoint = str(root / 'cae_demo.pth')
    torch.save(dict(meta=dict(epoch=1), state_dict=cae.state_dict()),
               checkpoint)
    encoder = {
        k[len('backbone.'):]: v
        for k, v in cae.state_dict().items() if k.startswith('backbone.')
    }
    return small_demo_imagenet, checkpoint, encoder


def test_one_demo_config_per_protocol():
    assert sorted(CONFIGS) == ['attentive', 'finetune', 'linear'], CONFIGS
    # the benchmark runs these configs, from the demo CAE pretraining
    assert BENCHMARK_CONFIGS == CONFIGS
    assert PRETRAIN_CONFIG == CAE_DEMO


@pytest.mark.parametrize('protocol', sorted(CONFIGS))
def test_demo_protocol_trains_and_evaluates(tmp_path, protocol,
                                            demo_and_cae_checkpoint,
                                            engine_tool_in_process):
    data_root, checkpoint, encoder = demo_and_cae_checkpoint
    work_dir = tmp_path / protocol
    options = [
        f'{split}_dataloader.dataset.data_root={data_root}'
        for split in ('train', 'val', 'test')
    ] + [
        f'model.backbone.init_cfg.checkpoint={checkpoint}',
        'train_dataloader.batch_size=16', 'train_cfg.max_epochs=2',
        'train_cfg.val_interval=2', 'default_hooks.logger.interval=1'
    ]
    status, out, err = engine_tool_in_process(
        run_train, CONFIGS[protocol], '--work-dir', str(work_dir),
        '--cfg-options', *options)
    log = out + err
    assert status == 0, log[-4000:]
    assert f"loading '{checkpoint}' (mmcae layout) into ViT" in log
    losses = [float(x) for x in re.findall(r'\bloss: ([0-9.]+)', log)]
    assert len(losses) == 6 and all(0 < x < 10 for x in losses), losses
    top1 = re.findall(r'accuracy/top1: ([0-9.]+)', log)
    assert top1 and 0 <= float(top1[-1]) <= 100
    saved = torch.load(
        osp.join(work_dir, 'epoch_2.pth'), map_location='cpu',
        weights_only=False)['state_dict']
    if protocol == 'finetune':
        # fine-tuning moves the encoder away from the pretrained weights
        assert not torch.equal(saved['backbone.blocks.0.attn.qkv.weight'],
                               encoder['blocks.0.attn.qkv.weight'])
    else:
        # a probe leaves every loaded encoder weight bit-identical
        for key, value in encoder.items():
            if f'backbone.{key}' in saved:
                assert torch.equal(saved[f'backbone.{key}'], value), key
        assert 'backbone.blocks.3.mlp.fc2.weight' in saved
