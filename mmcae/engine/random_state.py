"""The random state a run needs for an exact resume.

mmengine seeds the generators once, when the runner is built, and writes no
generator state into its checkpoints; a resumed run therefore draws other
drop-path masks, other crops and other block masks than the run it
continues (the loss curves part after the first resumed iteration). What is
needed, and what lives here:

* the main process's generators (``random``, ``numpy.random``, torch CPU
  and every CUDA device), per rank: :func:`get_random_state`,
  :func:`set_random_state`, :func:`gather_random_states`;
* dataloader workers whose generators are a function of (seed, epoch, rank,
  worker id) instead of a stream that runs on across epochs:
  :func:`epoch_worker_init`. mmengine's ``worker_init_fn`` seeds from
  (seed, rank, worker id) only, so without persistent workers every epoch
  repeats the first epoch's augmentations, and with persistent workers the
  workers' streams cannot be restored after a restart.
"""
import random
from typing import Any, Dict, List

import numpy as np
import torch
import torch.distributed as torch_dist


def get_random_state() -> Dict[str, Any]:
    """This process's generator states, in a form ``weights_only`` loads.

    Returns:
        dict: ``python`` (:func:`random.getstate`), ``numpy`` (the legacy
        global generator's state as a dict), ``torch`` (ByteTensor) and
        ``cuda`` (one ByteTensor per visible device; empty without CUDA).
    """
    numpy_state = np.random.get_state(legacy=False)
    return dict(
        python=random.getstate(),
        numpy=numpy_state,
        torch=torch.get_rng_state(),
        cuda=(torch.cuda.get_rng_state_all()
              if torch.cuda.is_available() else []))


def set_random_state(state: Dict[str, Any]) -> None:
    """Restore what :func:`get_random_state` returned.

    Args:
        state (dict): the saved states; CUDA states are restored only when
            the number of visible devices is the same.
    """
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    numpy_state = dict(state['numpy'])
    np.random.set_state(numpy_state)
    torch.set_rng_state(state['torch'])
    cuda_states = state.get('cuda') or []
    if cuda_states and torch.cuda.is_available() and \
            len(cuda_states) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda_states)


def gather_random_states() -> List[Dict[str, Any]]:
    """Every rank's :func:`get_random_state`, in rank order.

    A collective call in a distributed run: every rank must call it.
    """
    state = get_random_state()
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return [state]
    states: List[Any] = [None] * torch_dist.get_world_size()
    torch_dist.all_gather_object(states, state)
    return states


class EpochOf:
    """The epoch a sampler is at, for a dataloader worker.

    The worker receives a copy of this object when it starts (``fork``
    copies the process, ``spawn`` pickles it): it carries the epoch that
    mmengine's ``DistSamplerSeedHook`` set before the epoch's iterator, not
    the sampler (with its dataset) itself.

    Args:
        sampler: a sampler with an ``epoch`` attribute (mmengine's
            ``DefaultSampler``); without one the epoch is 0.
    """

    def __init__(self, sampler: Any):
        self.sampler = sampler

    @property
    def epoch(self) -> int:
        return int(getattr(self.sampler, 'epoch', 0) or 0)

    def __getstate__(self) -> dict:
        return dict(fixed_epoch=self.epoch)

    def __setstate__(self, state: dict) -> None:
        self.sampler = type('_Fixed', (), {'epoch': state['fixed_epoch']})()


def worker_seed(seed: int, epoch: int, rank: int, worker_id: int) -> int:
    """A 32-bit seed for one worker of one epoch of one rank.

    numpy's ``SeedSequence`` mixes the four numbers, so that nearby inputs
    (seed 0 epoch 1 vs seed 1 epoch 0) give unrelated streams.
    """
    entropy = [int(seed) % 2**32, int(epoch), int(rank), int(worker_id)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def epoch_worker_init(worker_id: int, seed: int, rank: int,
                      epoch_of: EpochOf) -> None:
    """``worker_init_fn``: seed ``random``, numpy and torch in a dataloader
    worker from (seed, epoch, rank, worker id).

    With non-persistent workers (restarted every epoch) each epoch draws
    new augmentations, and a run resumed at epoch e gives its workers the
    seeds the uninterrupted run gave them.
    """
    value = worker_seed(seed, epoch_of.epoch, rank, worker_id)
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)
