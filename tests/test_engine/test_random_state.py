"""Generator states for exact resume, and epoch-seeded dataloader workers."""
import pickle
import random

import numpy as np
import torch

from mmcae.engine.random_state import (EpochOf, epoch_worker_init,
                                       get_random_state, set_random_state,
                                       worker_seed)


def _draw():
    return (random.random(), float(np.random.rand()),
            float(torch.rand(1)), float(np.random.randn()))


def test_restored_state_repeats_every_generator(tmp_path):
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    np.random.randn()  # leaves a cached Gaussian in numpy's state
    state = get_random_state()
    # the state survives the safe (weights_only) checkpoint round trip
    torch.save({'random_states': [state]}, tmp_path / 'ckpt.pth')
    from mmcae.checkpoint.reader import load_local_checkpoint
    loaded = load_local_checkpoint(str(tmp_path / 'ckpt.pth'))
    first = _draw()
    _draw()
    set_random_state(loaded['random_states'][0])
    assert _draw() == first


class _Sampler:
    epoch = 0


def test_worker_seeds_depend_on_seed_epoch_rank_and_worker():
    seeds = {
        worker_seed(seed, epoch, rank, worker)
        for seed in (0, 1) for epoch in (0, 1, 2) for rank in (0, 1)
        for worker in (0, 1)
    }
    assert len(seeds) == 24
    assert worker_seed(5, 2, 1, 0) == worker_seed(5, 2, 1, 0)


def test_a_worker_draws_from_the_epoch_its_sampler_is_at():
    sampler = _Sampler()
    epoch_of = EpochOf(sampler)
    sampler.epoch = 3
    # a spawned worker receives a pickled copy: the epoch, not the sampler
    copy = pickle.loads(pickle.dumps(epoch_of))
    assert copy.epoch == 3
    sampler.epoch = 4
    assert copy.epoch == 3 and epoch_of.epoch == 4

    epoch_worker_init(1, seed=0, rank=0, epoch_of=copy)
    at_epoch_3 = _draw()
    epoch_worker_init(1, seed=0, rank=0, epoch_of=epoch_of)
    at_epoch_4 = _draw()
    epoch_worker_init(1, seed=0, rank=0, epoch_of=copy)
    assert _draw() == at_epoch_3 != at_epoch_4
