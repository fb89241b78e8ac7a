"""run_tool prints a UserError raised in a DataLoader worker as its original
one-line message, not torch's "Caught UserError in DataLoader worker
process 0. Original Traceback ..." re-raise."""
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from mmcae.utils.cli import run_tool
from mmcae.utils.errors import UserError

MESSAGE = ("label map 'ann/0.png' is 20 x 30 (h x w) but its image "
           "'img/0.png' is 40 x 30 (h x w): fix it")


class _BadSample(Dataset):

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int):
        try:
            open('/nonexistent/label.png')
        except OSError as err:  # a chained cause, as the transform raises
            raise UserError(MESSAGE) from err


class _DerivedError(UserError):
    pass


class _DerivedSample(_BadSample):

    def __getitem__(self, index: int):
        raise _DerivedError('first line: ok\nsecond line')


def _load_all(dataset, num_workers):

    def entry(argv):
        for _ in DataLoader(dataset, batch_size=2, num_workers=num_workers):
            pass

    return entry


@pytest.mark.parametrize('num_workers', [0, 1])
def test_worker_user_error_is_its_message(capsys, num_workers):
    assert run_tool(_load_all(_BadSample(), num_workers), []) == 2
    err = capsys.readouterr().err
    assert err.endswith(f': error: {MESSAGE}\n')
    assert len(err.splitlines()) == 1
    assert 'Traceback' not in err and 'Caught' not in err


def test_worker_subclass_and_multiline_message(capsys):
    assert run_tool(_load_all(_DerivedSample(), 1), []) == 2
    err = capsys.readouterr().err
    assert err.endswith(': error: first line: ok\nsecond line\n')


def test_message_that_only_looks_wrapped_is_kept(capsys):
    text = 'Caught you. Original Traceback: none here'

    def entry(argv):
        raise UserError(text)

    assert run_tool(entry, []) == 2
    assert capsys.readouterr().err.endswith(f': error: {text}\n')


def test_torch_reraise_format_is_what_we_parse():
    """The format run_tool relies on: torch re-raises a worker's exception
    with its type and the formatted traceback as the message."""
    from torch._utils import ExceptionWrapper
    try:
        raise UserError(MESSAGE)
    except UserError:
        wrapper = ExceptionWrapper(where='in DataLoader worker process 0')
    with pytest.raises(UserError) as error:
        wrapper.reraise()
    text = str(error.value)
    assert text.startswith(
        'Caught UserError in DataLoader worker process 0.\nOriginal '
        'Traceback')
    assert text.rstrip().endswith(f'mmcae.utils.errors.UserError: {MESSAGE}')
    assert torch.__version__  # (the format of torch 2.x)
