"""A test-only hook, registered in mmcae's HOOKS registry, that records what
a run starts from (iteration, optimizer and model state) and which
iterations it runs. Configs name it ``mmcae.ResumeProbeHook``."""
import os.path as osp

import torch
from mmengine.hooks import Hook

from mmcae.registry import HOOKS


@HOOKS.register_module()
class ResumeProbeHook(Hook):
    """Saves ``probe_start_iter{N}.pth`` in the work dir before training."""

    def before_train(self, runner) -> None:
        self.iterations = []
        self.start_iter = runner.iter
        model = runner.model.module if hasattr(runner.model,
                                               'module') else runner.model
        torch.save(
            dict(
                iter=runner.iter,
                optimizer=runner.optim_wrapper.state_dict(),
                model=model.state_dict()),
            osp.join(runner.work_dir, f'probe_start_iter{runner.iter}.pth'))

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        self.iterations.append(runner.iter + 1)  # 1-based, as logged

    def after_train(self, runner) -> None:
        torch.save(
            dict(iterations=self.iterations),
            osp.join(runner.work_dir,
                     f'probe_iterations_from{self.start_iter}.pth'))
