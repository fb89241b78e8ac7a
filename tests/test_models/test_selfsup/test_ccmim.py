"""mmcae.CcMIM: the division follows a hand-built encoder's attention, by
default the [CLS] query's row (the paper's q_0 K^T and the official code
since Sherrylone/ccMIM commit 7350304), the reconstruction loss equals
mmpretrain's MAE with identical weights and masks, the projector maps both
[CLS] outputs (visible first) as the official code since ddd68ad, no
gradient reaches the image through the masked branch, and every variant
(InfoNCE / SimSiam alignment, lambda 0, Table 5 strategies) runs.
"""
import pytest
import torch
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.registry import DefaultScope

from mmcae.checkpoint import convert_vit_checkpoint

from tests.helpers import TINY_VIT_MMPRETRAIN, perturb

IMG, PATCH = 32, 8
GRID = IMG // PATCH


def _cfg(embed_dims=32, num_layers=2, num_heads=2, **kwargs):
    cfg = dict(
        type='mmcae.CcMIM',
        backbone=dict(
            type='mmcae.ViT',
            arch=dict(embed_dims=embed_dims, num_layers=num_layers,
                      num_heads=num_heads, mlp_hidden_dims=4 * embed_dims),
            img_size=IMG, patch_size=PATCH, qkv_bias='qkv',
            pos_embed='sincos', out_type='raw'),
        neck=dict(type='MAEPretrainDecoder', num_patches=GRID * GRID,
                  patch_size=PATCH, embed_dim=embed_dims,
                  decoder_embed_dim=16, decoder_depth=1,
                  decoder_num_heads=2),
        head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=PATCH,
                  loss=dict(type='PixelReconstructionLoss', criterion='L2')),
        projector=dict(type='NonLinearNeck', in_channels=embed_dims,
                       hid_channels=embed_dims, out_channels=16,
                       with_avg_pool=False, with_last_bn_affine=False,
                       norm_cfg=dict(type='BN1d')),
        align_head=dict(type='mmcae.InfoNCEHead'),
        align_weight=0.2)
    for key, value in kwargs.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    return cfg


def _build(cfg):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = ROOT_MODELS.build(cfg)
    model.init_weights()
    return model


def _region_encoder(region, num_layers, mask_ratio, strategy, direction):
    """A ViT in which [CLS] and the bright patches attend to each other.

    Patch tokens carry the patch's mean brightness in channel 0 and zeros
    elsewhere, [CLS] is e_1, no positions. LayerNorm maps a bright token to
    u (large in channel 0), [CLS] to u' (large in channel 1) and a dark
    (all-zero) token to 0. Keys = 8 LN(x), queries = 8 P LN(x) with P
    swapping channels 0 and 1: a bright patch's query matches the [CLS]
    key and [CLS]'s query matches the bright keys (logits ~ 64 |u|^2 /
    sqrt(d) in the head holding channels 0 and 1); dark tokens have zero
    keys and queries (uniform attention, logit 0). Values and MLPs output
    zero, so the residual stream and the attention are the same in every
    block.
    """
    dims = 8
    model = _build(_cfg(dims, num_layers, 2, mask_ratio=mask_ratio,
                        mask_strategy=strategy,
                        attention_direction=direction))
    vit = model.backbone
    swap = torch.eye(dims)[[1, 0, *range(2, dims)]]
    with torch.no_grad():
        for param in vit.parameters():
            param.zero_()
        vit.pos_embed.zero_()
        vit.patch_embed.proj.weight[0] = 1. / (3 * PATCH * PATCH)
        vit.cls_token[0, 0, 1] = 1.
        for block in vit.blocks:
            block.norm1.weight.fill_(1.)
            block.norm2.weight.fill_(1.)
            block.attn.qkv.weight[:dims] = 8 * swap
            block.attn.qkv.weight[dims:2 * dims] = 8 * torch.eye(dims)
    images = torch.zeros(1, 3, IMG, IMG)
    for index in region:
        row, col = divmod(index, GRID)
        images[..., row * PATCH:(row + 1) * PATCH,
               col * PATCH:(col + 1) * PATCH] = 1.
    return model, images


DIRECTIONS = ['patch_to_cls', 'cls_to_patch']


@pytest.mark.parametrize('direction', DIRECTIONS)
def test_importance_masks_exactly_the_attended_region(direction):
    region = list(range(12))  # the top three rows: 12 of 16 patches = 75 %
    model, image = _region_encoder(region, 2, 0.75, 'importance', direction)
    importance = model.backbone.cls_attention(image, direction)
    bright = importance[0, :, region]
    dark = importance[0, :, 12:]
    # every block: the bright patches stand out
    assert bright.min() > 0.07 and dark.max() < bright.min() / 1.2
    mask, summed = model.divide(image.expand(3, -1, -1, -1))
    torch.testing.assert_close(summed[0], importance[0].sum(0))
    expected = torch.zeros(16, dtype=torch.bool)
    expected[region] = True
    assert mask.sum(1).tolist() == [12] * 3
    assert all(torch.equal(row, expected) for row in mask)


@pytest.mark.parametrize('direction', DIRECTIONS)
def test_importance_sampling_masks_the_region_with_high_probability(
        direction):
    region = [5, 6, 9, 10]  # the central 2 x 2 patches, 25 % masked
    model, image = _region_encoder(region, 4, 0.25, 'importance_sampling',
                                   direction)
    images = image.expand(400, -1, -1, -1)
    mask, importance = model.divide(
        images, generator=torch.Generator().manual_seed(0))
    others = [i for i in range(16) if i not in region]
    # 4 blocks: the bright patches' summed attention exceeds the others'
    # by more than half the range of the uniform noise
    assert importance[0, region].min() > importance[0, others].max() + 0.5
    assert mask.sum(1).eq(4).all()
    frequency = mask.float().mean(0)
    assert frequency[region].min() > 0.85, frequency
    assert frequency[others].max() < 0.08, frequency
    # random division of the same images: no preference at all
    model.divider.strategy = 'random'
    random_mask, _ = model.divide(
        images, generator=torch.Generator().manual_seed(0))
    assert random_mask.float().mean(0)[region].max() < 0.4


def test_reconstruction_equals_mmpretrain_mae():
    """Random division and lambda 0: ccMIM is MAE. Same weights and the same
    noise (torch's global RNG): the same masks and loss."""
    from mmpretrain.models import MAE
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        mae = MAE(
            backbone=dict(type='MAEViT', arch=TINY_VIT_MMPRETRAIN,
                          img_size=IMG, patch_size=PATCH, mask_ratio=0.75),
            neck=dict(type='MAEPretrainDecoder', num_patches=GRID * GRID,
                      patch_size=PATCH, embed_dim=32, decoder_embed_dim=16,
                      decoder_depth=1, decoder_num_heads=2),
            head=dict(type='MAEPretrainHead', norm_pix=True,
                      patch_size=PATCH,
                      loss=dict(type='PixelReconstructionLoss',
                                criterion='L2')))
    mae.init_weights()
    perturb(mae)
    ours = _build(_cfg(mask_strategy='random', align_weight=0.,
                       align_head=None, projector=None))
    state, _ = convert_vit_checkpoint({
        'state_dict': {f'backbone.{k}': v
                       for k, v in mae.backbone.state_dict().items()}})
    ours.backbone.load_state_dict(state, strict=True)
    ours.neck.load_state_dict(mae.neck.state_dict())
    images = torch.randn(3, 3, IMG, IMG)
    torch.manual_seed(7)
    expected = mae.loss(images, [])['loss']
    torch.manual_seed(7)
    losses = ours.loss([images], [])
    assert set(losses) == {'loss_rec'}
    torch.testing.assert_close(losses['loss_rec'], expected)


@pytest.mark.parametrize('strategy', ['importance_sampling', 'random'])
def test_masked_branch_gets_no_gradient(strategy):
    torch.manual_seed(0)
    model = _build(_cfg(mask_strategy=strategy))
    perturb(model)
    images = torch.randn(4, 3, IMG, IMG, requires_grad=True)
    torch.manual_seed(3)
    losses = model.loss([images], [])
    torch.manual_seed(3)
    mask, _ = model.divide(images.detach())
    losses['loss_align'].backward()
    # per patch: the gradient of the contrastive term on its pixels
    grad = images.grad.abs().reshape(4, 3, GRID, PATCH, GRID, PATCH)
    grad = grad.sum(dim=(1, 3, 5)).reshape(4, -1)
    assert grad[mask].max() == 0  # masked patches: the stop-gradient side
    assert (grad[~mask] > 0).all()  # the visible set is the query
    # the reconstruction term reaches the visible pixels too (and the
    # masked ones only as targets of norm_pix MSE, a constant)
    images.grad = None
    model.zero_grad()
    torch.manual_seed(3)
    model.loss([images], [])['loss_rec'].backward()
    assert images.grad.abs().sum() > 0


def test_variants_run_and_train():
    torch.manual_seed(0)
    simsiam = dict(
        type='LatentPredictHead',
        predictor=dict(type='NonLinearNeck', in_channels=16, hid_channels=8,
                       out_channels=16, with_avg_pool=False,
                       with_last_bn=False, with_last_bias=True,
                       norm_cfg=dict(type='BN1d')),
        loss=dict(type='CosineSimilarityLoss', shift_factor=1.,
                  scale_factor=1.))
    images = torch.randn(4, 3, IMG, IMG)
    for overrides in (dict(), dict(align_head=simsiam, align_weight=0.5),
                      dict(align_weight=0., align_head=None),
                      dict(mask_strategy='block', mask_ratio=0.5),
                      dict(mask_strategy='importance')):
        model = _build(_cfg(**overrides))
        losses = model.loss([images], [])
        weight = overrides.get('align_weight', 0.2)
        assert set(losses) == ({'loss_rec', 'loss_align'}
                               if weight else {'loss_rec'})
        total = sum(losses.values())
        assert torch.isfinite(total)
        total.backward()
        if weight:
            assert model.projector.fc0.weight.grad.abs().sum() > 0
    # SimSiam: 1 - cos, bounded by [0, 2] times lambda
    model = _build(_cfg(align_head=simsiam, align_weight=0.5))
    align = model.loss([images], [])['loss_align'].item()
    assert 0. <= align <= 1.


def test_bad_configs():
    with pytest.raises(ValueError, match='align_head'):
        _build(_cfg(align_head=None))
    with pytest.raises(ValueError, match='strategy'):
        _build(_cfg(mask_strategy='saliency'))
    cfg = _cfg()
    cfg['backbone']['out_type'] = 'cls_token'
    with pytest.raises(ValueError, match="out_type='raw'"):
        _build(cfg)


def _two_region_encoder(red, blue, direction=None):
    """A ViT in which [CLS] attends to the red patches while the blue
    patches attend to [CLS]: the two directions disagree.

    Tokens: a red patch is e_0 (patch embedding of the red channel), a
    blue one e_2, [CLS] e_1, dark patches 0; no positions. Keys = 8 LN(x),
    queries = 8 R LN(x) with R routing channel 1 to 0 and 2 to 1. [CLS]'s
    query then matches the red keys and a blue patch's query the [CLS]
    key (logit ~ 228 in the head holding channels 0-3); dark tokens have
    zero keys and queries (uniform attention). Values and MLPs output zero,
    so every block sees the same tokens and attention.
    """
    dims = 8
    overrides = dict(mask_ratio=0.25, mask_strategy='importance')
    if direction is not None:
        overrides['attention_direction'] = direction
    model = _build(_cfg(dims, 2, 2, **overrides))
    vit = model.backbone
    route = torch.zeros(dims, dims)
    route[0, 1] = route[1, 2] = 1.
    with torch.no_grad():
        for param in vit.parameters():
            param.zero_()
        vit.patch_embed.proj.weight[0, 0] = 1. / (PATCH * PATCH)
        vit.patch_embed.proj.weight[2, 2] = 1. / (PATCH * PATCH)
        vit.cls_token[0, 0, 1] = 1.
        for block in vit.blocks:
            block.norm1.weight.fill_(1.)
            block.norm2.weight.fill_(1.)
            block.attn.qkv.weight[:dims] = 8 * route
            block.attn.qkv.weight[dims:2 * dims] = 8 * torch.eye(dims)
    images = torch.zeros(1, 3, IMG, IMG)
    for channel, region in ((0, red), (2, blue)):
        for index in region:
            row, col = divmod(index, GRID)
            images[:, channel, row * PATCH:(row + 1) * PATCH,
                   col * PATCH:(col + 1) * PATCH] = 1.
    return model, images


def test_default_division_follows_the_cls_query_row():
    """A hand-built attention map where the two directions pick different
    patches: the default masks the patches [CLS] attends to (the official
    ``avg_attn[:, 0, 1:]``), 'patch_to_cls' those attending to [CLS] (the
    code before commit 7350304, ``avg_attn[:, 1:, 0]``)."""
    red, blue = [0, 1, 4, 5], [10, 11, 14, 15]  # 4 of 16 = 25 % masked
    model, image = _two_region_encoder(red, blue)
    assert model.attention_direction == 'cls_to_patch'
    others = [i for i in range(16) if i not in red + blue]
    row = model.backbone.cls_attention(image, 'cls_to_patch')[0]
    column = model.backbone.cls_attention(image, 'patch_to_cls')[0]
    # [CLS] -> red ~ (1/4 + 1/17) / 2 per block, -> anything else ~ 1/34
    assert row[:, red].min() > 0.14 and row[:, blue + others].max() < 0.04
    # blue -> [CLS] ~ (1 + 1/17) / 2, dark -> [CLS] 1/17, red -> ~1/34
    assert column[:, blue].min() > 0.5 and column[:, red + others].max() < 0.07
    expected = {'cls_to_patch': red, 'patch_to_cls': blue}
    for direction, region in expected.items():
        if direction != model.attention_direction:
            model, image = _two_region_encoder(red, blue, direction)
        mask, importance = model.divide(image.expand(2, -1, -1, -1))
        assert mask.sum(1).tolist() == [4, 4]
        assert sorted(mask[0].nonzero().flatten().tolist()) == region
        assert torch.equal(mask[0], mask[1])
        torch.testing.assert_close(
            importance[0],
            model.backbone.cls_attention(image, direction)[0].sum(0))


def test_importance_equals_the_official_attention_row():
    """Random weights: the default importance is the official
    basic_module.Attention's head-averaged softmax(q k^T / sqrt(d)) at
    [:, 0, 1:], summed over the blocks; [:, 1:, 0] (the code before commit
    7350304) differs."""
    torch.manual_seed(0)
    model = _build(_cfg())
    perturb(model)
    vit = model.backbone
    images = torch.randn(3, 3, IMG, IMG)
    heads = vit.num_heads
    with torch.no_grad():
        x, _, _ = vit._embed_tokens(images, None)
        now = before = 0
        for block in vit.blocks:
            batch, tokens, dims = x.shape
            qkv = block.attn.qkv(block.norm1(x)).reshape(
                batch, tokens, 3, heads, dims // heads).permute(2, 0, 3, 1, 4)
            attn = (qkv[0] @ qkv[1].transpose(-2, -1) *
                    (dims // heads)**-0.5).softmax(dim=-1).mean(dim=1)
            now = now + attn[:, 0, 1:]
            before = before + attn[:, 1:, 0]
            x = block(x)
        _, importance = model.divide(images)
    torch.testing.assert_close(importance, now, atol=1e-5, rtol=1e-5)
    # far above the float32 tolerance: the two readings differ
    assert (importance - before).abs().max() > 100 * 1e-5


def test_projector_maps_both_cls_outputs_visible_first():
    """The official forward_alignment_loss (since commit ddd68ad): the
    projector on the visible [CLS], then on the masked [CLS], both
    projections into the InfoNCE; without a projector the raw [CLS]
    outputs (the code before that commit)."""
    torch.manual_seed(0)
    images = torch.randn(4, 3, IMG, IMG)
    mask = torch.stack([torch.randperm(16) < 12 for _ in range(4)])
    for with_projector in (True, False):
        model = _build(_cfg() if with_projector else _cfg(projector=None))
        perturb(model)
        captured = {}

        def fake_loss(input, target):
            captured.update(input=input.detach(), target=target.detach())
            return input.sum() * 0

        model.align_head.loss = fake_loss
        calls = []
        if with_projector:
            model.projector.register_forward_hook(
                lambda module, args, out: calls.append(
                    (args[0][0].detach().clone(), out[0].detach().clone())))
        model.division_losses(images, mask)
        with torch.no_grad():
            visible = model.backbone(images, keep_mask=~mask)[0][:, 0]
            masked = model.backbone(images, keep_mask=mask)[0][:, 0]
        assert (visible - masked).abs().max() > 1e-2
        if not with_projector:
            torch.testing.assert_close(captured['input'], visible)
            torch.testing.assert_close(captured['target'], masked)
            continue
        assert len(calls) == 2
        torch.testing.assert_close(calls[0][0], visible)
        torch.testing.assert_close(calls[1][0], masked)
        torch.testing.assert_close(captured['input'], calls[0][1])
        torch.testing.assert_close(captured['target'], calls[1][1])
        assert captured['input'].shape == (4, 16)


def test_projector_batchnorm_option():
    """The official projector's plain per-process BatchNorm1d (BN1d) and
    the synchronized one (SyncBN), chosen by the projector's norm_cfg."""
    plain = _build(_cfg())
    assert type(plain.projector.bn0) is torch.nn.BatchNorm1d
    assert type(plain.projector.bn1) is torch.nn.BatchNorm1d
    assert not plain.projector.bn1.affine
    synced = _build(_cfg(projector=dict(norm_cfg=dict(type='SyncBN'))))
    assert isinstance(synced.projector.bn0, torch.nn.SyncBatchNorm)


def test_model_level_layer_init_is_refused():
    """mmengine initializes the children after the parent: a model-level
    Xavier would be overwritten by the ViT's init_weights, so it is an
    error that names the options to use."""
    with pytest.raises(ValueError, match="init_scheme='mae'"):
        _build(_cfg(init_cfg=[
            dict(type='Xavier', layer='Linear', distribution='uniform')
        ]))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = ROOT_MODELS.build(
            _cfg(init_cfg=dict(type='Pretrained', checkpoint='x.pth')))
    assert type(model).__name__ == 'CcMIM'
