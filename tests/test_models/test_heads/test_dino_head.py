"""DINOHead.loss equals a direct computation of DINO's centred, sharpened
cross entropy; its multi-crop loss is DINO's mean over the (teacher i,
student v != i) pairs; the teacher gets no gradient; the center moves by
its momentum; DINOProjectionHead has DINO's layout and unit-norm
prototypes of isotropic directions."""
import math

import pytest
import torch

from mmcae.models.heads import DINOHead
from mmcae.models.necks import DINOProjectionHead


def _reference(student, teacher, center, t_s, t_t):
    """Loops over pairs and prototypes."""
    total = 0.
    for s_row, t_row in zip(student, teacher):
        shifted = [(t - c) / t_t for t, c in zip(t_row, center[0])]
        norm = sum(math.exp(v) for v in shifted)
        targets = [math.exp(v) / norm for v in shifted]
        scaled = [s / t_s for s in s_row]
        log_norm = math.log(sum(math.exp(v) for v in scaled))
        total += -sum(p * (v - log_norm) for p, v in zip(targets, scaled))
    return total / len(student)


def test_values_and_center_update():
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(6, 5, generator=generator, dtype=torch.float64)
    teacher = torch.randn(6, 5, generator=generator, dtype=torch.float64)
    head = DINOHead(5).double()
    center = torch.randn(1, 5, generator=generator, dtype=torch.float64)
    head.center.copy_(center)
    loss = head.loss(student, teacher)
    expected = _reference(student.tolist(), teacher.tolist(),
                          center.tolist(), 0.1, 0.04)
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    # the center moved after the loss: 0.9 c + 0.1 mean(teacher)
    torch.testing.assert_close(head.center,
                               0.9 * center + 0.1 * teacher.mean(0,
                                                                 keepdim=True))
    # a frozen center for evaluation
    before = head.center.clone()
    head.loss(student, teacher, update_center=False)
    assert torch.equal(head.center, before)


def test_teacher_gets_no_gradient_and_centering_matters():
    student = torch.randn(4, 3, requires_grad=True)
    teacher = torch.randn(4, 3, requires_grad=True)
    DINOHead(3).loss(student, teacher).backward()
    assert teacher.grad is None
    assert student.grad.abs().sum() > 0
    # identical rows: the loss is the entropy of the sharpened target
    # against the student's distribution; a shifted center changes it
    same = torch.zeros(2, 3)
    same[:, 0] = 1.
    plain = DINOHead(3).loss(same, same, update_center=False)
    shifted = DINOHead(3)
    shifted.center.fill_(0.)
    shifted.center[0, 0] = 1.
    assert shifted.loss(same, same, update_center=False) > plain


def test_projection_head_layout():
    torch.manual_seed(0)
    head = DINOProjectionHead(32, hidden_channels=64, bottleneck_channels=16,
                              out_channels=100)
    head.init_weights()
    linears = [m for m in head.mlp if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [
        (32, 64), (64, 64), (64, 16)]
    assert sum(isinstance(m, torch.nn.GELU) for m in head.mlp) == 2
    norms = head.last_layer.weight.norm(dim=1)
    torch.testing.assert_close(norms, torch.ones(100))
    assert not head.last_layer.weight_g.requires_grad
    x = torch.randn(7, 32)
    out = head(x)
    assert out.shape == (7, 100)
    # prototypes and the bottleneck feature have unit norm: |logit| <= 1
    assert out.abs().max() <= 1 + 1e-5
    # (..., C) inputs: the point grid of Uni-SSL
    assert head(torch.randn(2, 5, 5, 32)).shape == (2, 5, 5, 100)
    learned = DINOProjectionHead(32, out_channels=10, norm_last_layer=False)
    assert learned.last_layer.weight_g.requires_grad


def test_cross_view_loss_is_the_mean_over_pairs_without_same_crops():
    generator = torch.Generator().manual_seed(0)
    student = [torch.randn(4, 5, generator=generator, dtype=torch.float64)
               for _ in range(4)]
    teacher = [torch.randn(4, 5, generator=generator, dtype=torch.float64)
               for _ in range(2)]
    center = torch.randn(1, 5, generator=generator, dtype=torch.float64)
    head = DINOHead(5).double()
    head.center.copy_(center)
    loss = head.loss_cross_views(student, teacher)
    # DINO's pairs: (0, 1), (0, 2), (0, 3), (1, 0), (1, 2), (1, 3), each
    # the batch mean of _reference's per-row cross entropy
    pairs = [(i, v) for i in range(2) for v in range(4) if v != i]
    expected = sum(
        _reference(student[v].tolist(), teacher[i].tolist(),
                   center.tolist(), 0.1, 0.04) for i, v in pairs) / 6
    assert loss.item() == pytest.approx(expected, rel=1e-10)
    torch.testing.assert_close(
        head.center, 0.9 * center + 0.1 * torch.cat(teacher).mean(
            0, keepdim=True))
    # two views: the same as the pair-swapped loss
    two = DINOHead(5).double()
    torch.testing.assert_close(
        two.loss_cross_views(student[:2], teacher, update_center=False),
        two.loss(torch.cat(student[:2]), torch.cat([teacher[1],
                                                     teacher[0]]),
                 update_center=False))


@pytest.mark.parametrize('student, teacher, message', [
    ([torch.zeros(2, 3)], [torch.zeros(2, 3)], 'at least 2 student'),
    ([torch.zeros(2, 3)] * 2, [torch.zeros(2, 3)] * 3, 'at least 2'),
    ([torch.zeros(2, 3), torch.zeros(3, 3)], [torch.zeros(2, 3)],
     'student view 1 is'),
    ([torch.zeros(2, 3)] * 2, [torch.zeros(2, 3, 1)], 'teacher view 0'),
])
def test_cross_view_loss_refuses_mismatched_views(student, teacher,
                                                  message):
    with pytest.raises(ValueError, match=message):
        DINOHead(3).loss_cross_views(student, teacher)


def test_prototype_directions_are_isotropic():
    """Normal rows (std 0.02, norm fixed to 1): directions uniform on the
    sphere, unlike DINO's uniform-in-a-cube torch Linear default (a
    documented difference)."""
    torch.manual_seed(0)
    head = DINOProjectionHead(8, hidden_channels=8, bottleneck_channels=256,
                              out_channels=512)
    head.init_weights()
    weight = head.last_layer.weight_v
    assert weight.std().item() == pytest.approx(0.02, rel=0.02)
    # a cube law of the same std would have no value beyond sqrt(3) std
    assert weight.abs().max() > 3 * 0.02
