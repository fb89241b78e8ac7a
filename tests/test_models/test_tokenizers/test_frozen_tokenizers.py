"""mmcae's frozen tokenizers: DALL-E encoder and the customized d-VAE.

Parity: the DALL-E encoder against mmpretrain's ``DALL-E`` port (same
state dict, OpenAI's names); the d-VAE against the same layers built from
plain ``torch.nn`` modules in the released layout. The fast path
(``tokenize``: oneDNN weights, head on the masked positions) must give the
argmax of the reference logits.
"""
import pytest
import torch
from mmengine.registry import MODELS, DefaultScope
from torch import nn

from mmcae.checkpoint import CheckpointFormatError
from mmcae.models.tokenizers import DALLEEncoder, DiscreteVAETokenizer

from tests.helpers import perturb

VOCAB = 32


def _mmpretrain_dalle():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(
            dict(type='DALL-E', n_hid=8, n_blk_per_group=1,
                 vocab_size=VOCAB)).eval()


def _reference_dvae(hidden: int, layers: int = 3) -> nn.Sequential:
    """BEiT's d-VAE encoder from torch.nn modules (``encoder.*`` keys)."""

    class ResBlock(nn.Module):

        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(),
                nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU(),
                nn.Conv2d(hidden, hidden, 1))

        def forward(self, x):
            return self.net(x) + x

    modules = []
    for index in range(layers):
        modules.append(
            nn.Sequential(
                nn.Conv2d(3 if index == 0 else hidden, hidden, 4, 2, 1),
                nn.ReLU()))
        modules.append(ResBlock())
    modules.append(nn.Conv2d(hidden, VOCAB, 1))
    wrapper = nn.Module()
    wrapper.encoder = nn.Sequential(*modules)
    return wrapper.eval()


@pytest.fixture(scope='module')
def views():
    generator = torch.Generator().manual_seed(0)
    return torch.rand(3, 3, 32, 32, generator=generator) * 0.8 + 0.1


def _random_mask(batch: int, tokens: int, count: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(1)
    mask = torch.zeros(batch, tokens, dtype=torch.bool)
    for row in mask:
        row[torch.randperm(tokens, generator=generator)[:count]] = True
    return mask


def test_dalle_equals_mmpretrain_port(views):
    reference = perturb(_mmpretrain_dalle())
    ours = DALLEEncoder(n_hid=8, n_blk_per_group=1, vocab_size=VOCAB)
    # OpenAI's names on both sides: the state dict loads strictly
    ours.load_state_dict(reference.state_dict(), strict=True)
    assert set(ours.state_dict()) == set(reference.state_dict())
    with torch.no_grad():
        expected = reference(views)
    assert expected.shape == (3, VOCAB, 4, 4)
    torch.testing.assert_close(ours(views), expected, rtol=0, atol=1e-5)
    expected_ids = expected.argmax(1).flatten(1)
    # the fast path: oneDNN trunk, head on the requested positions only
    assert torch.equal(ours.tokenize(views), expected_ids)
    mask = _random_mask(3, 16, 6)
    ids = ours.tokenize(views, mask)
    assert ids.shape == (18, ) and ids.dtype == torch.int64
    assert torch.equal(ids, expected_ids[mask])
    assert not ids.requires_grad and not ids.is_inference()


def test_dvae_equals_plain_torch_layers(views):
    reference = perturb(_reference_dvae(hidden=8))
    ours = DiscreteVAETokenizer(hidden_dim=8, vocab_size=VOCAB)
    ours.load_state_dict(reference.state_dict(), strict=True)
    with torch.no_grad():
        expected = reference.encoder(views * 2 - 1)
    assert expected.shape == (3, VOCAB, 4, 4)  # 8x down
    torch.testing.assert_close(ours(views * 2 - 1), expected, rtol=0,
                               atol=1e-5)
    mask = _random_mask(3, 16, 8)
    assert torch.equal(
        ours.tokenize(views * 2 - 1, mask),
        expected.argmax(1).flatten(1)[mask])


def test_frozen_and_always_eval(views):
    tokenizer = DALLEEncoder(n_hid=8, n_blk_per_group=1, vocab_size=VOCAB)
    tokenizer.train()
    assert not tokenizer.training
    assert not any(p.requires_grad for p in tokenizer.parameters())
    logits = nn.Linear(3, VOCAB)(torch.randn(16 * 3, 3))
    # ids work as targets of a loss that back-propagates elsewhere
    loss = nn.functional.cross_entropy(logits, tokenizer.tokenize(views)
                                       .flatten())
    loss.backward()


def test_reordered_weights_follow_new_weights(views):
    tokenizer = DALLEEncoder(n_hid=8, n_blk_per_group=1, vocab_size=VOCAB)
    before = tokenizer.tokenize(views)
    other = perturb(DALLEEncoder(n_hid=8, n_blk_per_group=1,
                                 vocab_size=VOCAB))
    tokenizer.load_state_dict(other.state_dict())
    after = tokenizer.tokenize(views)
    assert not torch.equal(before, after)
    assert torch.equal(after, other(views).argmax(1).flatten(1))


def test_pretrained_init_loads_released_layouts_strictly(tmp_path, views):
    reference = perturb(_reference_dvae(hidden=8))
    state = reference.state_dict()
    # the released file: {'weights': encoder + decoder + codebook}
    released = dict(state)
    released['codebook.weight'] = torch.randn(VOCAB, 4)
    released['decoder.0.0.weight'] = torch.randn(8, 4, 4, 4)
    path = str(tmp_path / 'pytorch_model.bin')
    torch.save({'weights': released}, path)
    tokenizer = MODELS.build(
        dict(type='mmcae.DiscreteVAETokenizer', hidden_dim=8,
             vocab_size=VOCAB,
             init_cfg=dict(type='Pretrained', checkpoint=path)))
    tokenizer.init_weights()
    with torch.no_grad():
        expected = reference.encoder(views)
    assert torch.equal(tokenizer.tokenize(views),
                       expected.argmax(1).flatten(1))

    # DALL-E: a plain state dict with OpenAI's names, under 'state_dict'
    dalle = perturb(_mmpretrain_dalle())
    dalle_path = str(tmp_path / 'dalle.pth')
    torch.save({'state_dict': dalle.state_dict()}, dalle_path)
    ours = MODELS.build(
        dict(type='mmcae.DALLEEncoder', n_hid=8, n_blk_per_group=1,
             vocab_size=VOCAB,
             init_cfg=dict(type='Pretrained', checkpoint=dalle_path)))
    ours.init_weights()
    assert torch.equal(ours.tokenize(views),
                       dalle(views).argmax(1).flatten(1))


def test_wrong_files_are_errors_naming_file_and_keys(tmp_path):
    tokenizer = DALLEEncoder(n_hid=8, n_blk_per_group=1, vocab_size=VOCAB)
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        tokenizer.load_pretrained(str(tmp_path / 'nowhere.pth'))
    # a d-VAE file given to the DALL-E encoder
    path = str(tmp_path / 'dvae.pth')
    torch.save(_reference_dvae(hidden=8).state_dict(), path)
    with pytest.raises(CheckpointFormatError) as error:
        tokenizer.load_pretrained(path)
    message = str(error.value)
    assert 'dvae.pth' in message and 'missing keys' in message
    assert 'blocks.group_1.block_1.res_path.conv_1.w' in message
    assert 'encoder.0.0.weight' in message  # what the file holds
    # a vocabulary of another size
    other = DALLEEncoder(n_hid=8, n_blk_per_group=1, vocab_size=VOCAB * 2)
    path = str(tmp_path / 'bigger.pth')
    torch.save(other.state_dict(), path)
    with pytest.raises(CheckpointFormatError, match='blocks.output.conv.w'):
        tokenizer.load_pretrained(path)


def test_mask_must_match_the_token_grid(views):
    tokenizer = DiscreteVAETokenizer(hidden_dim=4, vocab_size=VOCAB)
    with pytest.raises(ValueError, match='4 x 4 token grid'):
        tokenizer.tokenize(views, torch.ones(3, 15, dtype=torch.bool))
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\)'):
        tokenizer.tokenize(views[:, :1])
