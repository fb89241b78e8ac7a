"""mmcae.DINO with multi-crop: the loss is DINO's average over every
(teacher global crop i, student crop v != i) pair, computed here crop by
crop; the teacher encodes the two global crops only; the student encodes
each run of same-size crops as one batch (the ViT resizes its learned
position table to the smaller local grids); the center moves with the
teacher's global-crop outputs; malformed crop lists are refused."""
import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

IMG, PATCH, DIMS, PROTOTYPES = 32, 8, 32, 64


def _build(**kwargs):
    cfg = dict(
        type='mmcae.DINO',
        backbone=dict(
            type='mmcae.ViT',
            arch=dict(embed_dims=DIMS, num_layers=2, num_heads=2,
                      mlp_hidden_dims=2 * DIMS),
            img_size=IMG, patch_size=PATCH, qkv_bias='qkv',
            pos_embed='learned', drop_path_rate=0.1, out_type='cls_token'),
        neck=dict(type='mmcae.DINOProjectionHead', in_channels=DIMS,
                  hidden_channels=32, bottleneck_channels=16,
                  out_channels=PROTOTYPES),
        head=dict(type='mmcae.DINOHead', out_channels=PROTOTYPES),
        freeze_last_layer_epochs=0)
    cfg.update(kwargs)
    hub = MessageHub.get_current_instance()
    hub.update_info('max_iters', 10)
    hub.update_info('epoch', 0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = ROOT_MODELS.build(cfg)
    model.init_weights()
    return model


def _crops(sizes, batch=3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, 3, s, s, generator=generator) for s in sizes]


def _samples(batch=3):
    return [DataSample() for _ in range(batch)]


def test_multi_crop_loss_is_the_mean_over_dinos_pairs():
    torch.manual_seed(0)
    model = _build()
    model.eval()  # no drop path: each crop's logits are deterministic
    sizes = (IMG, IMG, 16, 16, 16, 24)
    crops = _crops(sizes)
    loss = model.loss(crops, _samples())['loss_dino']
    # reference: every crop on its own through the student (teacher = the
    # student at its first update), DINO's loop over (i, v != i)
    with torch.no_grad():
        logits = [model.neck(model.backbone(c)[-1]) for c in crops]
    targets = [torch.softmax(t / 0.04, dim=-1) for t in logits[:2]]
    log_probs = [torch.log_softmax(s / 0.1, dim=-1) for s in logits]
    terms = [-(targets[i] * log_probs[v]).sum(-1).mean()
             for i in range(2) for v in range(len(crops)) if v != i]
    assert len(terms) == 2 * (len(crops) - 1)
    torch.testing.assert_close(loss.detach(), sum(terms) / len(terms),
                               atol=1e-5, rtol=1e-5)
    # the center moved (from 0) towards the mean of the 2 x 3 teacher rows
    # of the global crops only
    mean = torch.cat(logits[:2]).mean(0, keepdim=True)
    torch.testing.assert_close(model.head.center, 0.1 * mean, atol=1e-6,
                               rtol=1e-5)
    # each local crop enters the loss: another local crop, another loss
    changed = [c.clone() for c in crops]
    changed[3] = changed[3].flip(-1)
    assert abs(model.loss(changed, _samples())['loss_dino'].item() -
               loss.item()) > 1e-4


def test_teacher_sees_the_global_crops_and_the_student_batches_by_size():
    torch.manual_seed(0)
    model = _build()
    seen = {'student': [], 'teacher': []}
    hooks = [
        module.register_forward_pre_hook(
            lambda _, args, key=key: seen[key].append(tuple(args[0].shape)))
        for key, module in (('student', model.backbone),
                            ('teacher', model.teacher_backbone))
    ]
    crops = _crops((IMG, IMG, 16, 16, 16, 16, 24, 24), batch=2)
    loss = model.loss(crops, _samples(2))['loss_dino']
    for hook in hooks:
        hook.remove()
    assert seen['teacher'] == [(4, 3, IMG, IMG)]
    assert seen['student'] == [(4, 3, IMG, IMG), (8, 3, 16, 16),
                               (4, 3, 24, 24)]
    loss.backward()
    # the learned table trains through the global and the resized grids
    assert model.backbone.pos_embed.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.teacher.parameters())


def test_two_crops_are_the_two_cross_view_pairs():
    """DINO's loss with no local crop: the two cross-view pairs."""
    torch.manual_seed(0)
    model = _build()
    model.eval()
    crops = _crops((IMG, IMG))
    loss = model.loss(crops, _samples())['loss_dino']
    with torch.no_grad():
        s = [model.neck(model.backbone(c)[-1]) for c in crops]
    expected = model.head.__class__(PROTOTYPES).loss(
        torch.cat(s), torch.cat([s[1], s[0]]))
    torch.testing.assert_close(loss.detach(), expected, atol=1e-5,
                               rtol=1e-5)


@pytest.mark.parametrize('crops, message', [
    (lambda: _crops((IMG, )), 'two global crops first'),
    (lambda: _crops((IMG, IMG))[0], 'list of'),
    (lambda: _crops((IMG, 24, 16)), 'global crops the teacher sees'),
    (lambda: _crops((IMG, IMG)) + [torch.randn(2, 3, 16, 16)],
     'batch size of crop 0'),
])
def test_malformed_crops_are_refused(crops, message):
    model = _build()
    with pytest.raises(ValueError, match=message):
        model.loss(crops(), _samples())
