"""finish_distributed joins gloo's threads before it returns (2 CPU
processes under torchrun): no thread is left to free a tensor made in Python
while the interpreter is torn down, the cause of the ``terminate called
without an active exception`` aborts of tools/dist_train.sh on CPU."""
import os
import sys

import pytest

from tests.helpers import free_port, run_cmd

SCRIPT = '''
import os
import sys
import types

import torch.distributed as torch_dist
from mmengine.config import Config
from torch import nn

from mmcae.utils.cli import finish_distributed
from mmcae.engine.model_wrappers import CPUDistributedDataParallel
from mmcae.utils.dist import prepare_distributed


def threads():
    return len(os.listdir('/proc/self/task'))


before = threads()
prepare_distributed(Config(dict()), 'pytorch')
runner = types.SimpleNamespace(
    model=CPUDistributedDataParallel(nn.Linear(4, 2), device_ids=None))
gathered = [None, None]
# tensors made in Python, freed by gloo's worker threads
torch_dist.all_gather_object(gathered, torch_dist.get_rank())
torch_dist.broadcast_object_list(gathered, src=0)
running = threads()
rank = torch_dist.get_rank()
finish_distributed(runner)
# a file per rank (the ranks' prints share one pipe and interleave)
with open(os.path.join(sys.argv[1], f'rank{rank}.txt'), 'w') as f:
    f.write(f'{gathered} {before} {running} {threads()} '
            f'{type(runner.model).__name__}')
'''


@pytest.mark.skipif(not os.path.isdir('/proc/self/task'),
                    reason='counts threads in /proc/self/task (Linux)')
def test_gloo_threads_are_joined_before_return(tmp_path):
    script = tmp_path / 'finish.py'
    script.write_text(SCRIPT)
    result = run_cmd([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={free_port()}',
        str(script),
        str(tmp_path)
    ],
                     env={'OMP_NUM_THREADS': '1'},
                     timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    for rank in range(2):
        line = (tmp_path / f'rank{rank}.txt').read_text()
        assert line.startswith('[0, 1] '), line  # the collectives ran
        before, running, after = map(int, line.split()[2:5])
        assert running > before, line  # gloo's worker, transport threads
        assert after == before, line  # joined
        assert line.endswith(' Linear'), line  # the wrapper is gone
