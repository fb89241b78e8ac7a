"""InfoNCEHead: values equal a direct computation of Eq. 7, no gradient
reaches the target, and 2 gloo processes give the loss and gradients of
one process on the concatenated batch."""
import math

import pytest
import torch
import torch.multiprocessing as mp
import torch.nn.functional as F

from mmcae.models.heads import InfoNCEHead

from tests.helpers import free_port


def _reference(visible, masked, temperature, intra, scale):
    """Eq. 7 written out with loops over the batch."""
    total = 0.
    batch = visible.shape[0]
    for i in range(batch):
        def sim(a, b):
            return (F.cosine_similarity(a, b, dim=0) / temperature).exp()
        positive = sim(visible[i], masked[i])
        denominator = sum(sim(visible[i], masked[j]) for j in range(batch))
        if intra:
            denominator = denominator + sum(
                sim(visible[i], visible[j]) for j in range(batch) if j != i)
        total = total - torch.log(positive / denominator)
    loss = total / batch
    return loss * 2 * temperature if scale else loss


@pytest.mark.parametrize('intra', [True, False])
@pytest.mark.parametrize('temperature,scale', [(0.5, True), (0.2, False)])
def test_values_equal_direct_computation(intra, temperature, scale):
    generator = torch.Generator().manual_seed(0)
    visible = torch.randn(5, 7, generator=generator, dtype=torch.float64)
    masked = torch.randn(5, 7, generator=generator, dtype=torch.float64)
    head = InfoNCEHead(temperature, intra_negatives=intra,
                       scale_by_temperature=scale)
    loss = head.loss(visible, masked)
    expected = _reference(visible, masked, temperature, intra, scale)
    torch.testing.assert_close(loss, expected)


def test_known_values():
    # identical embeddings: every logit is 1 / T; the loss is log(2B - 1)
    # (B keys + B - 1 intra negatives) times 2T, or log(B) without the
    # intra negatives
    same = torch.ones(4, 3)
    loss = InfoNCEHead(0.5, intra_negatives=True).loss(same, same)
    assert loss.item() == pytest.approx(math.log(7), rel=1e-6)
    assert InfoNCEHead(0.5).loss(same, same).item() == pytest.approx(
        math.log(4), rel=1e-6)
    # orthogonal perfect pairs get a low loss, swapped pairs a high one
    eye = torch.eye(4)
    good = InfoNCEHead(0.1, scale_by_temperature=False).loss(eye, eye)
    bad = InfoNCEHead(0.1, scale_by_temperature=False).loss(
        eye, eye.roll(1, 0))
    assert good.item() < 0.01 and bad.item() > 9.


def test_no_gradient_into_the_target():
    visible = torch.randn(4, 6, requires_grad=True)
    masked = torch.randn(4, 6, requires_grad=True)
    InfoNCEHead().loss(visible, masked).backward()
    assert masked.grad is None
    assert visible.grad is not None and visible.grad.abs().sum() > 0


def test_bad_shapes():
    with pytest.raises(ValueError, match='same shape|one shape'):
        InfoNCEHead().loss(torch.randn(4, 6), torch.randn(3, 6))
    with pytest.raises(ValueError, match='temperature'):
        InfoNCEHead(temperature=0.)


CASES = [(True, (3, 3)), (False, (3, 3)), (True, (4, 2))]


def _data(sizes):
    generator = torch.Generator().manual_seed(0)
    visible = torch.randn(sum(sizes), 6, generator=generator,
                          dtype=torch.float64)
    masked = torch.randn(sum(sizes), 6, generator=generator,
                         dtype=torch.float64)
    return visible, masked


def _worker(rank, world_size, port, queue):
    import torch.distributed as dist
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}',
                            rank=rank, world_size=world_size)
    try:
        for intra, sizes in CASES:
            visible, masked = _data(sizes)
            start = sum(sizes[:rank])
            stop = start + sizes[rank]
            mine = visible[start:stop].clone().requires_grad_(True)
            loss = InfoNCEHead(0.5, intra_negatives=intra).loss(
                mine, masked[start:stop])
            loss.backward()
            # DDP averages gradients over processes: the same by hand
            grad = torch.zeros_like(visible)
            grad[start:stop] = mine.grad
            dist.all_reduce(grad)
            losses = [torch.zeros(1, dtype=torch.float64)
                      for _ in range(world_size)]
            dist.all_gather(losses, loss.detach().reshape(1))
            if rank == 0:
                queue.put((torch.cat(losses), grad / world_size))
    finally:
        dist.destroy_process_group()


def test_two_gloo_processes_equal_one_process():
    """Per case (intra negatives, per-process batch sizes): the loss and
    the DDP-averaged gradients of 2 processes vs one on the whole batch."""
    context = mp.get_context('spawn')
    queue = context.Queue()
    port = free_port()
    processes = [
        context.Process(target=_worker, args=(rank, 2, port, queue))
        for rank in range(2)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in CASES]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    for (intra, sizes), (losses, grad) in zip(CASES, results):
        visible, masked = _data(sizes)
        visible.requires_grad_(True)
        loss = InfoNCEHead(0.5, intra_negatives=intra).loss(visible, masked)
        loss.backward()
        # the global loss is the mean over all queries: the per-process
        # means weighted by their batch sizes
        weights = torch.tensor(sizes, dtype=torch.float64) / sum(sizes)
        torch.testing.assert_close((losses * weights).sum(), loss.detach())
        if sizes[0] == sizes[1]:
            # equal batches: DDP's plain average of the per-process
            # gradients is the gradient of the global mean
            torch.testing.assert_close(grad, visible.grad)
