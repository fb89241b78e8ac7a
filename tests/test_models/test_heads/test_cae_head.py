"""CAEHead: cross entropy on token ids or MSE on pixels, plus lambda times
the alignment MSE when the latents are given."""
import pytest
import torch
import torch.nn.functional as F

from mmcae.models.heads import CAEHead


def test_token_and_pixel_losses():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 10, generator=generator)
    tokens = torch.randint(0, 10, (6, ), generator=generator)
    latent_pred = torch.randn(2, 3, 8, generator=generator)
    latent_target = torch.randn(2, 3, 8, generator=generator)
    losses = CAEHead('tokens', align_weight=2.).loss(logits, tokens,
                                                     latent_pred,
                                                     latent_target)
    assert set(losses) == {'loss_main', 'loss_align'}
    assert torch.equal(losses['loss_main'], F.cross_entropy(logits, tokens))
    assert torch.equal(losses['loss_align'],
                       2. * F.mse_loss(latent_pred, latent_target))
    pixels = torch.randn(6, 12, generator=generator)
    prediction = torch.randn(6, 12, generator=generator)
    losses = CAEHead('pixels').loss(prediction, pixels)
    assert set(losses) == {'loss_main'}  # no latents: no alignment term
    assert torch.equal(losses['loss_main'], F.mse_loss(prediction, pixels))
    with pytest.raises(ValueError, match='target must be one of'):
        CAEHead('logits')
