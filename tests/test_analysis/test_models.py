"""Loading a whole-model checkpoint for an analysis (through
mmcae.checkpoint.load_weights_into): required keys must fit (the message
names file and keys), strict mode refuses extra keys, DDP prefixes and
mmengine's state_dict are read."""
import pytest
import torch
from torch import nn

from mmcae.analysis import load_checkpoint
from mmcae.utils.errors import UserError


class Tiny(nn.Module):

    def __init__(self, width: int = 3):
        super().__init__()
        self.backbone = nn.Linear(2, width)
        self.head = nn.Linear(width, 1)


def test_required_prefixes_and_strict(tmp_path):
    source = Tiny()
    path = str(tmp_path / 'full.pth')
    torch.save({'state_dict': {f'module.{k}': v
                               for k, v in source.state_dict().items()}},
               path)
    target = Tiny()
    assert load_checkpoint(target, path) == []
    assert torch.equal(target.backbone.weight, source.backbone.weight)
    # the backbone must fit; a head of another size is left alone
    other = Tiny()
    other.head = nn.Linear(3, 2)
    assert load_checkpoint(other, path) == ['head.weight', 'head.bias']
    with pytest.raises(UserError, match=r'full.pth does not fit.*head\.'):
        load_checkpoint(other, path, None, strict=True)
    smaller = Tiny(width=2)
    with pytest.raises(UserError, match=r"keys under \['backbone.'\]"):
        load_checkpoint(smaller, path)
    extra = str(tmp_path / 'extra.pth')
    torch.save(dict(source.state_dict(), spare=torch.zeros(1)), extra)
    assert load_checkpoint(Tiny(), extra) == []
    with pytest.raises(UserError, match=r"1 unexpected keys \['spare'\]"):
        load_checkpoint(Tiny(), extra, None, strict=True)


def test_unreadable_files_are_named(tmp_path):
    with pytest.raises(UserError, match='checkpoint not found: .*no.pth'):
        load_checkpoint(Tiny(), str(tmp_path / 'no.pth'))
    empty = str(tmp_path / 'empty.pth')
    torch.save({'state_dict': {}}, empty)
    with pytest.raises(UserError, match='empty.pth holds no state dict'):
        load_checkpoint(Tiny(), empty)
