"""mmcae.UniSSL and mmcae.DINO: the sampled points of both views are the
same image points, the pixel target windows are centred on the token grid,
the teacher gets no gradient and moves only by EMA (values), the DINO
baseline pairs each student view with the other view's teacher output,
and a few steps on a fixed batch lower the loss (ViT and ResNet)."""
import math

import numpy as np
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from mmcae.models.utils import local_patch_targets, overlap_sampling_grids

IMG, PATCH = 32, 8
GRID = IMG // PATCH


def _vit(out_type='featmap', embed_dims=32):
    return dict(
        type='mmcae.ViT',
        arch=dict(embed_dims=embed_dims, num_layers=2, num_heads=2,
                  mlp_hidden_dims=2 * embed_dims),
        img_size=IMG, patch_size=PATCH, qkv_bias='qkv', pos_embed='sincos',
        drop_path_rate=0.1, out_type=out_type)


def _unissl_cfg(**kwargs):
    cfg = dict(
        type='mmcae.UniSSL',
        backbone=_vit(),
        neck=dict(type='mmcae.DINOProjectionHead', in_channels=32,
                  hidden_channels=32, bottleneck_channels=16,
                  out_channels=64),
        head=dict(type='mmcae.DINOHead', out_channels=64),
        feature_channels=32,
        num_points=3,
        pixel_window=24,
        freeze_last_layer_epochs=0)
    cfg.update(kwargs)
    return cfg


def _build(cfg):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = ROOT_MODELS.build(cfg)
    model.init_weights()
    return model


def _samples(batch, seed=0):
    """Data samples with overlapping boxes in a 48-px image and flips."""
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(batch):
        first = np.array([0, 4, 32, 36], dtype=np.float32) + rng.integers(
            0, 8, 4).astype(np.float32)
        second = first + np.array([6, 3, 8, 5], dtype=np.float32)
        sample = DataSample()
        sample.set_metainfo(dict(crop_boxes=np.stack([first, second]),
                                 crop_flips=rng.random(2) < 0.5))
        samples.append(sample)
    return samples


def _set_run_length(max_iters, epoch=0):
    hub = MessageHub.get_current_instance()
    hub.update_info('max_iters', max_iters)
    hub.update_info('epoch', epoch)


def test_pixel_target_windows_centre_on_the_token_grid():
    """unfold(x, S=80) on a coordinate image: the l-th window is the 80 x
    80 square around the l-th 16-px token (same centre), and the entries
    past the border are marked as padding."""
    size = 64
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float32),
                            torch.arange(size, dtype=torch.float32),
                            indexing='ij')
    # pixel centres; +1000 keeps them apart from the zero padding
    image = torch.stack([xs + 0.5 + 1000, ys + 0.5 + 1000,
                         torch.zeros_like(xs)])[None]
    targets, inside = local_patch_targets(image, (4, 4), 80)
    assert targets.shape == (1, 16, 3 * 80 * 80)
    windows = targets[0].reshape(4, 4, 3, 80, 80)
    valid = inside[0].reshape(4, 4, 3, 80, 80)
    for row in range(4):
        for col in range(4):
            x = windows[row, col, 0]
            y = windows[row, col, 1]
            mask = valid[row, col, 0].bool()
            # inside: the coordinate image itself, offset by the padding 32
            cols = torch.arange(80) + 16 * col - 32
            rows = torch.arange(80) + 16 * row - 32
            expected_mask = ((rows >= 0) & (rows < size))[:, None] & \
                ((cols >= 0) & (cols < size))[None]
            assert torch.equal(mask, expected_mask)
            assert torch.equal(x[mask], (cols[None].expand(80, 80) + 0.5 +
                                         1000)[mask])
            assert torch.equal(y[mask], (rows[:, None].expand(80, 80) +
                                         0.5 + 1000)[mask])
            assert (x[~mask] == 0).all()
            # the window's centre is the token's centre
            centre_x = (cols.float() + 0.5).mean()
            centre_y = (rows.float() + 0.5).mean()
            assert centre_x == 16 * col + 8 and centre_y == 16 * row + 8
    # S = 48 and 16 (Table 4): 3 x 3 and 1 x 1 tokens around the token
    targets16, inside16 = local_patch_targets(image, (4, 4), 16)
    assert inside16.all()
    assert torch.equal(targets16[0, 5].reshape(3, 16, 16)[0, 0],
                       torch.arange(16.) + 16 + 0.5 + 1000)
    targets48, _ = local_patch_targets(image, (4, 4), 48)
    assert targets48[0, 5].reshape(3, 48, 48)[0, 0, 0] == 0 + 0.5 + 1000
    for window in (8, 17):
        with pytest.raises(ValueError, match='cannot be centred'):
            local_patch_targets(image, (4, 4), window)
    with pytest.raises(ValueError, match='does not tile'):
        local_patch_targets(image, (5, 5), 80)


def _token_coordinates(box, flip, grid):
    """A (2, grid, grid) map whose cells hold the image coordinates of
    their centres in a view cropped to ``box`` (mirrored if ``flip``)."""
    x1, y1, x2, y2 = box
    centres = (torch.arange(grid) + 0.5) / grid
    u = 1 - centres if flip else centres
    xs = x1 + u * (x2 - x1)
    ys = y1 + centres * (y2 - y1)
    return torch.stack([xs[None].expand(grid, grid),
                        ys[:, None].expand(grid, grid)])


def test_sampled_points_are_the_same_image_points():
    """Features that are linear in the image coordinates: bilinear
    sampling at the grids of both views gives the same coordinates (the
    points stay away from the map's outer half cells)."""
    samples = _samples(6, seed=3)
    boxes = torch.as_tensor(np.stack([s.crop_boxes for s in samples]))
    flips = torch.as_tensor(np.stack([s.crop_flips for s in samples]))
    from mmcae.models import UniSSL
    grids = overlap_sampling_grids(boxes, flips, 4)
    for view in range(2):
        maps = torch.stack([
            _token_coordinates(boxes[i, view], bool(flips[i, view]), 16)
            for i in range(6)
        ])
        points = UniSSL.sample_points(maps, grids[:, view])
        if view == 0:
            first = points
    torch.testing.assert_close(points, first, atol=1e-4, rtol=0)
    # and they are the K x K centres of the overlap
    left = torch.maximum(boxes[:, 0, 0], boxes[:, 1, 0])
    right = torch.minimum(boxes[:, 0, 2], boxes[:, 1, 2])
    xs = first.reshape(6, 4, 4, 2)[..., 0]
    expected = left[:, None] + (torch.arange(4) + 0.5)[None] / 4 * (
        right - left)[:, None]
    torch.testing.assert_close(xs[:, 0], expected, atol=1e-4, rtol=0)


def test_teacher_has_no_gradient_and_moves_by_ema_only():
    torch.manual_seed(0)
    model = _build(_unissl_cfg())
    model.train()
    _set_run_length(10)
    # teacher == student after init_weights
    student = dict(model.backbone.named_parameters())
    for name, value in model.teacher_backbone.named_parameters():
        assert torch.equal(value, student[name]), name
        assert not value.requires_grad
    # the teacher's drop path is off, the student's on
    drop = [m for m in model.teacher.modules()
            if type(m).__name__ == 'DropPath']
    assert drop and all(not m.training for m in drop)
    assert any(type(m).__name__ == 'DropPath' and m.training
               for m in model.backbone.modules())
    views = [torch.randn(4, 3, IMG, IMG), torch.randn(4, 3, IMG, IMG)]
    samples = _samples(4)
    optimizer = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.5)
    losses = model.loss(views, samples)  # step 0: teacher copies student
    assert set(losses) == {'loss_sim', 'loss_pixel'}
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.teacher.parameters())
    # every trainable parameter is in the graph (what DDP needs)
    unused = [
        name for name, p in model.named_parameters()
        if p.requires_grad and p.grad is None
    ]
    assert not unused, unused
    assert model.pixel_predictor.weight.grad.abs().sum() > 0
    assert model.neck.last_layer.weight_v.grad.abs().sum() > 0
    center_before = model.head.center.clone()
    optimizer.step()
    optimizer.zero_grad()
    teacher_before = {
        n: p.detach().clone()
        for n, p in model.teacher.module.named_parameters()
    }
    student_now = {
        n: p.detach().clone()
        for n, p in torch.nn.Sequential(model.backbone,
                                        model.neck).named_parameters()
    }
    model.loss(views, samples)  # step 1: EMA
    # DINO's schedule: momentum 1 - 0.004 * (cos(pi * 1 / 10) + 1) / 2
    alpha = 0.004 * (math.cos(math.pi * 1 / 10) + 1) / 2
    moved = 0
    for name, value in model.teacher.module.named_parameters():
        expected = (1 - alpha) * teacher_before[name] + \
            alpha * student_now[name]
        torch.testing.assert_close(value.detach(), expected, atol=1e-6,
                                   rtol=1e-5)
        moved += int(not torch.equal(value, teacher_before[name]))
    assert moved > 0
    assert not torch.equal(model.head.center, center_before)


def test_prototypes_frozen_in_the_first_epoch():
    model = _build(_unissl_cfg(freeze_last_layer_epochs=1))
    views = [torch.randn(2, 3, IMG, IMG), torch.randn(2, 3, IMG, IMG)]
    _set_run_length(10, epoch=0)
    losses = model.loss(views, _samples(2))
    sum(losses.values()).backward()
    # in the graph (DistributedDataParallel) with a zero gradient
    assert torch.equal(model.neck.last_layer.weight_v.grad,
                       torch.zeros_like(model.neck.last_layer.weight_v))
    assert model.neck.mlp[0].weight.grad.abs().sum() > 0
    # the output is that of the unfrozen head
    with torch.no_grad():
        features = torch.randn(3, 32)
        torch.testing.assert_close(
            model.neck(features, freeze_last_layer=True),
            model.neck(features))
    model.zero_grad()
    _set_run_length(10, epoch=1)
    sum(model.loss(views, _samples(2)).values()).backward()
    assert model.neck.last_layer.weight_v.grad.abs().sum() > 0


def test_symmetric_and_pixel_weight_options():
    torch.manual_seed(0)
    _set_run_length(10)
    views = [torch.randn(2, 3, IMG, IMG), torch.randn(2, 3, IMG, IMG)]
    asym = _build(_unissl_cfg())
    sym = _build(_unissl_cfg(symmetric=True))
    sym.load_state_dict(asym.state_dict())
    grids = asym.sampling_grids(_samples(2), views[0].device)
    one = asym.pair_losses(views, grids, update_center=False)
    both = sym.pair_losses(views, grids, update_center=False)
    swapped = asym.pair_losses(views[::-1], grids.flip(1),
                               update_center=False)
    for key in one:
        torch.testing.assert_close(both[key],
                                   (one[key] + swapped[key]) / 2)
    no_pixel = _build(_unissl_cfg(pixel_weight=0.))
    assert no_pixel.pixel_predictor is None
    losses = no_pixel.loss(views, _samples(2))
    assert set(losses) == {'loss_sim'}
    losses['loss_sim'].backward()
    assert all(p.grad is not None for p in no_pixel.parameters()
               if p.requires_grad)


def test_pixel_loss_is_the_mse_over_the_inside_entries():
    model = _build(_unissl_cfg())
    dense = torch.randn(2, 32, GRID, GRID)
    images = torch.randn(2, 3, IMG, IMG)
    targets, inside = local_patch_targets(images, (GRID, GRID), 24)
    prediction = model.pixel_predictor(dense.flatten(2).transpose(1, 2))
    keep = inside.expand_as(targets).bool()
    expected = ((prediction - targets)[keep]**2).mean()
    torch.testing.assert_close(model.pixel_loss(dense, images), expected)


def test_bad_inputs_are_named():
    model = _build(_unissl_cfg())
    views = [torch.randn(2, 3, IMG, IMG), torch.randn(2, 3, IMG, IMG)]
    with pytest.raises(ValueError, match='crop_boxes'):
        model.loss(views, [DataSample(), DataSample()])
    with pytest.raises(ValueError, match='two views'):
        model.loss(views[0], _samples(2))
    flat = _build(_unissl_cfg(backbone=_vit(out_type='cls_token')))
    with pytest.raises(ValueError, match='dense'):
        flat.loss(views, _samples(2))
    with pytest.raises(ValueError, match='num_points'):
        _build(_unissl_cfg(num_points=0))


@pytest.mark.parametrize('arch', ['vit', 'resnet'])
def test_steps_on_a_fixed_batch_lower_the_loss(arch):
    torch.manual_seed(0)
    if arch == 'vit':
        cfg = _unissl_cfg()
        size = IMG
    else:
        cfg = _unissl_cfg(
            backbone=dict(type='ResNet', depth=18, out_indices=(3, ),
                          norm_cfg=dict(type='BN')),
            neck=dict(type='mmcae.DINOProjectionHead', in_channels=512,
                      hidden_channels=32, bottleneck_channels=16,
                      out_channels=64),
            feature_channels=512, pixel_window=48)
        size = 64  # a 2 x 2 map of 32-px cells
    model = _build(cfg)
    model.train()
    _set_run_length(30)
    views = [torch.randn(4, 3, size, size), torch.randn(4, 3, size, size)]
    samples = _samples(4)
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-3)
    totals = []
    for _ in range(15):
        losses = model.loss(views, samples)
        total = sum(losses.values())
        assert all(torch.isfinite(v) for v in losses.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        totals.append(total.item())
    assert np.mean(totals[-3:]) < np.mean(totals[:3]), totals


def test_dino_baseline_pairs_each_view_with_the_other_teacher_view():
    torch.manual_seed(0)
    _set_run_length(10)
    cfg = dict(
        type='mmcae.DINO', backbone=_vit(out_type='cls_token'),
        neck=dict(type='mmcae.DINOProjectionHead', in_channels=32,
                  hidden_channels=32, bottleneck_channels=16,
                  out_channels=64),
        head=dict(type='mmcae.DINOHead', out_channels=64),
        freeze_last_layer_epochs=0)
    model = _build(cfg)
    model.eval()  # no drop path: student and teacher outputs comparable
    views = [torch.randn(3, 3, IMG, IMG), torch.randn(3, 3, IMG, IMG)]
    loss = model.loss(views, [DataSample() for _ in range(3)])['loss_dino']
    with torch.no_grad():
        logits = [model.neck(model.backbone(v)[-1]) for v in views]
    targets = [torch.softmax(t / 0.04, dim=-1) for t in logits]
    log_probs = [torch.log_softmax(s / 0.1, dim=-1) for s in logits]
    expected = -((targets[1] * log_probs[0]).sum(-1).mean() +
                 (targets[0] * log_probs[1]).sum(-1).mean()) / 2
    torch.testing.assert_close(loss.detach(), expected, atol=1e-5,
                               rtol=1e-5)
    loss.backward()
    assert all(p.grad is not None for p in model.parameters()
               if p.requires_grad)
    # the center moved towards the teacher outputs' mean
    mean = torch.cat(logits).mean(0, keepdim=True)
    torch.testing.assert_close(model.head.center, 0.1 * mean, atol=1e-6,
                               rtol=1e-5)
