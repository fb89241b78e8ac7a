"""CPU mixed precision (mmcae.CPUBF16OptimWrapper): losses track fp32, the
runner's switch from AmpOptimWrapper without CUDA (one notice line), an
AMP paper config training a step on a CPU, resuming an AmpOptimWrapper
state, and the layer-decay lr table logged after --auto-scale-lr."""
import re

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from mmcae.engine import Runner
from mmcae.engine.optimizers import CPUBF16OptimWrapper
from mmcae.engine.optimizers import cpu_bf16_wrapper, layer_decay_constructor
from mmcae.registry import OPTIM_WRAPPERS
from mmcae.utils.config import load_config

CLS_CONFIG = 'tests/data/configs/tiny_vit_cls.py'
PAPER_CONFIG = ('configs/cae/cae_vit-base-p16_32xb64-amp-coslr-300e_'
                'ablation-pixel-target_in1k.py')
GRID, EMBED = 4, 32
#: bfloat16 keeps 8 significant bits: each rounded operand is off by up to
#: u = 2**-9 ~ 2e-3 (relative). Matmuls accumulate in fp32 and the losses
#: (softmax cross-entropy, MSE) are computed in fp32 by autocast, so a loss
#: carries the rounding of the ~10 bf16 layers on its path, partly
#: cancelling: observed 1e-4 .. 1e-3 here (pixel target). The token
#: target adds a discrete effect: the tokenizer's argmax flips on near-tied
#: logits (6 % of this random 16-way tokenizer's tokens), observed 8e-3.
#: 2e-2 = 10 u leaves room for the rounding errors of every layer adding up
#: in the same direction, and is still below what a wrong wrapper gives
#: (no autocast: 0 difference, asserted; a broken step: the loss moves by
#: > 3 % per step at lr 1e-4 here).
RTOL = 2e-2


@pytest.fixture(autouse=True)
def own_default_scope():
    """A runner makes its config's scope the current default scope; give
    the later tests the one they had."""
    before = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(before)


@pytest.fixture
def cpu_only(monkeypatch):
    """No CUDA device, also on a machine that has one."""
    monkeypatch.setattr('mmcae.engine.runner.accelerator_available',
                        lambda: False)
    monkeypatch.setattr(cpu_bf16_wrapper, 'accelerator_available',
                        lambda: False)


@pytest.fixture
def notices(monkeypatch):
    """The lines the bf16 wrapper logs."""
    messages = []
    monkeypatch.setattr(cpu_bf16_wrapper, 'print_log',
                        lambda msg, **kwargs: messages.append(msg))
    return messages


def _cae(target):
    cfg = dict(
        type='mmcae.CAE',
        backbone=dict(
            type='mmcae.ViT',
            arch=dict(
                embed_dims=EMBED,
                num_layers=2,
                num_heads=2,
                mlp_hidden_dims=4 * EMBED),
            img_size=GRID * 8,
            patch_size=8,
            qkv_bias='qv',
            layer_scale_init_value=0.1,
            pos_embed='sincos',
            out_type='raw'),
        neck=dict(
            type='mmcae.CAENeck',
            embed_dims=EMBED,
            num_heads=2,
            regressor_depth=2,
            decoder_depth=2,
            out_channels=16 if target == 'tokens' else 8 * 8 * 3,
            layer_scale_init_value=0.1),
        target=target,
        align_weight=2.)
    if target == 'tokens':
        cfg['target_generator'] = dict(
            type='mmcae.DALLEEncoder',
            n_hid=4,
            n_blk_per_group=1,
            vocab_size=16)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = ROOT_MODELS.build(cfg)
    model.init_weights()
    return model.train()


def _batch(target):
    generator = torch.Generator().manual_seed(1)
    images = torch.randn(2, 3, GRID * 8, GRID * 8, generator=generator)
    samples = []
    for _ in range(2):
        mask = torch.zeros(GRID * GRID, dtype=torch.bool)
        mask[torch.randperm(GRID * GRID, generator=generator)[:8]] = True
        sample = DataSample()
        sample.set_mask(mask.reshape(GRID, GRID))
        samples.append(sample)
    inputs = [images]
    if target == 'tokens':
        inputs.append(
            torch.rand(2, 3, GRID * 8, GRID * 8, generator=generator))
    return inputs, samples


def _losses(wrapper_type, target, steps=3):
    """The loss terms of ``steps`` AdamW steps on one fixed batch."""
    model = _cae(target)
    wrapper = wrapper_type(
        optimizer=torch.optim.AdamW(model.parameters(), lr=1e-4))
    inputs, samples = _batch(target)
    dtypes = set()
    hook = model.backbone.patch_embed.register_forward_hook(
        lambda module, args, out: dtypes.add(out[0].dtype if isinstance(
            out, tuple) else out.dtype))
    history = []
    for _ in range(steps):
        with wrapper.optim_context(model):
            losses = model.loss(inputs, samples)
        history.append({k: v.item() for k, v in losses.items()})
        assert all(v.dtype == torch.float32 for v in losses.values())
        wrapper.update_params(sum(losses.values()))
    hook.remove()
    assert all(p.dtype == torch.float32 for p in model.parameters())
    return history, dtypes


@pytest.mark.parametrize('target', ['pixels', 'tokens'])
def test_bf16_losses_track_fp32(target):
    fp32, fp32_dtypes = _losses(OptimWrapper, target)
    bf16, bf16_dtypes = _losses(CPUBF16OptimWrapper, target)
    assert fp32_dtypes == {torch.float32}
    assert bf16_dtypes == {torch.bfloat16}  # autocast was on
    for step32, step16 in zip(fp32, bf16):
        for key in step32:
            assert step16[key] == pytest.approx(step32[key], rel=RTOL), key
    assert any(step16 != step32 for step32, step16 in zip(fp32, bf16))


def test_registered_and_resumes_an_amp_state():
    assert OPTIM_WRAPPERS.get('CPUBF16OptimWrapper') is CPUBF16OptimWrapper
    model = torch.nn.Linear(2, 2)
    wrapper = CPUBF16OptimWrapper(
        loss_scale='dynamic',  # an AmpOptimWrapper config's keys
        optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3))
    state = wrapper.state_dict()
    scaler = {'scale': 1024., '_growth_tracker': 3}
    wrapper.load_state_dict(dict(state, loss_scaler=scaler))
    # kept for a later resume on a GPU with AmpOptimWrapper
    assert wrapper.state_dict()['loss_scaler'] == scaler
    with pytest.raises(ValueError, match='optim_wrapper.dtype'):
        CPUBF16OptimWrapper(
            dtype='float16',
            optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3))


def test_amp_paper_config_trains_a_step_on_cpu(tmp_path, tiny_imagenet,
                                               cpu_only, notices):
    cfg = load_config(PAPER_CONFIG)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    cfg.work_dir = str(tmp_path)
    cfg.model.backbone.update(
        arch=dict(
            embed_dims=EMBED,
            num_layers=2,
            num_heads=2,
            mlp_hidden_dims=2 * EMBED),
        img_size=32,
        patch_size=8)
    cfg.model.neck.update(
        embed_dims=EMBED,
        num_heads=2,
        regressor_depth=1,
        decoder_depth=1,
        out_channels=8 * 8 * 3)
    pipeline = cfg.train_dataloader.dataset.pipeline
    pipeline[2].size = 32
    pipeline[3].update(input_size=4, num_masking_patches=8, min_num_patches=4)
    cfg.train_dataloader.update(
        batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset = dict(
        type='CustomDataset',
        data_root=tiny_imagenet,
        indices=2,
        pipeline=pipeline)
    cfg.train_cfg.max_epochs = 1
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    before = runner.model.backbone.patch_embed.proj.weight.clone()
    runner.train()
    assert type(runner.optim_wrapper) is CPUBF16OptimWrapper
    assert runner.iter == 1
    assert notices == [cpu_bf16_wrapper.NOTICE]  # one notice line
    after = runner.model.backbone.patch_embed.proj.weight
    assert torch.isfinite(after).all() and not torch.equal(before, after)


def test_amp_switch_keeps_the_config_and_prints_once(tmp_path, tiny_imagenet,
                                                     cpu_only, notices):
    cfg = load_config(
        CLS_CONFIG, {
            'train_dataloader.dataset.data_root': tiny_imagenet,
            'optim_wrapper.type': 'AmpOptimWrapper',
            'optim_wrapper.loss_scale': 'dynamic',
        })
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    wrapper = runner.optim_wrapper
    assert type(wrapper) is CPUBF16OptimWrapper
    assert wrapper.clip_grad_kwargs == dict(max_norm=3.0)
    assert notices == [cpu_bf16_wrapper.NOTICE]
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'  # config untouched


def _tables(monkeypatch):
    messages = []
    monkeypatch.setattr(layer_decay_constructor, 'print_log',
                        lambda msg, **kwargs: messages.append(msg))
    return messages


def _rows(table):
    return [
        line.split() for line in table.splitlines() if re.match(
            r'\s*\d+\s+[\d.e-]+\s+[\d.e-]+\s+[\d.]+\s+\d+\s+\d+$', line)
    ]


@pytest.mark.parametrize('scale', [True, False])
def test_layer_decay_table_shows_the_scaled_lrs(tmp_path, tiny_imagenet,
                                                monkeypatch, scale):
    tables = _tables(monkeypatch)
    cfg = load_config(
        CLS_CONFIG, {
            'train_dataloader.dataset.data_root': tiny_imagenet,
            'optim_wrapper.constructor':
            'mmcae.LayerDecayOptimWrapperConstructor',
            'optim_wrapper.paramwise_cfg': dict(layer_decay_rate=0.5),
            'auto_scale_lr': dict(base_batch_size=8, enable=scale),
            'train_cfg.max_iters': 1,
        })
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert len(tables) == 1, tables  # one table, after scale_lr
    ratio = 2 / 8 if scale else 1.  # batch 2, one process
    groups = [g for g in runner.optim_wrapper.param_groups if 'layer_id' in g]
    rows = _rows(tables[0])
    assert len(rows) == len(groups)
    for row, group in zip(rows, groups):
        assert float(row[2]) == pytest.approx(
            1e-3 * ratio * group['lr_scale'], rel=1e-3)
    if scale:
        assert 'base lr 0.00025 (the config\'s 0.001 scaled by 0.25' in \
            tables[0]
    else:
        assert 'base lr 0.001,' in tables[0]
