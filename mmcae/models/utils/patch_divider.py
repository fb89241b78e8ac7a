"""Dividing the patches of an image into a masked and a visible set, as in
ccMIM (Sec. 3.2 "Selecting and dividing strategy"; Table 5 ablation).

The masked set gets the patches that carry the most context (the highest
[CLS] attention); the visible set, the rest, is what the decoder
reconstructs from. Four strategies (ccMIM Table 5):

- ``'importance_sampling'`` (the paper's default): score =
  softmax(importance) / softmax(u), u ~ U(0, 1) per patch; the highest
  scores are masked (the official ``get_mask_idx``, github.com/Sherrylone/
  ccMIM at fdc9096 ``models_ccmim.py`` lines 128-162: ascending sort, the
  first ``int(L * (1 - mask_ratio))`` visible). Early in training the
  attention is nearly flat and the uniform noise dominates (close to
  random masking); once [CLS] attends to a few patches, those are masked
  almost surely.
- ``'importance'``: the patches of highest importance, no noise.
- ``'random'``: uniform random patches (MAE's masking).
- ``'block'``: BEiT block-wise masking with the exact count (blocks of at
  least 16 patches, aspect ratio in [0.3, 1/0.3]: "For blockwise masking,
  we follow BEiT").

The scores are compared in log space (log_softmax(importance) -
log_softmax(u)): the same ranking, without dividing small numbers.
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch

from mmcae.utils.block_masking import BlockMaskSampler

DIVIDE_STRATEGIES = ('importance_sampling', 'importance', 'random', 'block')


class ContextualPatchDivider:
    """Choose the masked patches of each image.

    Args:
        grid (int | Sequence[int]): the patch grid ``h`` or ``(h, w)``.
        mask_ratio (float): fraction of patches to mask; the visible count
            is ``int(num_patches * (1 - mask_ratio))`` (as MAE and ccMIM's
            code), the rest is masked. Defaults to 0.75.
        strategy (str): one of :data:`DIVIDE_STRATEGIES`. Defaults to
            ``'importance_sampling'``.
        block_min_num_patches (int): smallest block (``'block'``).
            Defaults to 16 (BEiT, ccMIM Sec. 4.3).
        block_min_aspect (float): smallest block aspect ratio
            (``'block'``). Defaults to 0.3.
    """

    def __init__(self,
                 grid: Union[int, Sequence[int]],
                 mask_ratio: float = 0.75,
                 strategy: str = 'importance_sampling',
                 block_min_num_patches: int = 16,
                 block_min_aspect: float = 0.3) -> None:
        if strategy not in DIVIDE_STRATEGIES:
            raise ValueError(f'mask strategy must be one of '
                             f'{DIVIDE_STRATEGIES}, got {strategy!r}')
        if not 0. < mask_ratio < 1.:
            raise ValueError(f'mask_ratio must be in (0, 1), got {mask_ratio}'
                             ' (both sets must hold patches)')
        if isinstance(grid, int):
            grid = (grid, grid)
        self.grid: Tuple[int, int] = (int(grid[0]), int(grid[1]))
        self.num_patches = self.grid[0] * self.grid[1]
        self.num_visible = int(self.num_patches * (1 - mask_ratio))
        self.num_masked = self.num_patches - self.num_visible
        if self.num_visible < 1:
            raise ValueError(
                f'mask_ratio {mask_ratio} leaves no visible patch of '
                f'{self.num_patches}')
        self.mask_ratio = mask_ratio
        self.strategy = strategy
        self.block_generator = None
        if strategy == 'block':
            self.block_generator = BlockMaskSampler(
                input_size=self.grid,
                num_masking_patches=self.num_masked,
                min_num_patches=min(block_min_num_patches, self.num_masked),
                min_aspect=block_min_aspect)

    @property
    def needs_importance(self) -> bool:
        """Whether the strategy reads the patches' importance."""
        return self.strategy in ('importance_sampling', 'importance')

    def scores(self,
               importance: Optional[torch.Tensor],
               batch_size: int,
               device: Union[str, torch.device] = 'cpu',
               generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Per-patch scores; the ``num_masked`` highest are masked.

        Args:
            importance (Tensor, optional): (B, num_patches) importance, e.g.
                the [CLS] attention summed over layers; needed by the
                importance strategies.
            batch_size (int): B.
            device: where the noise is drawn.
            generator (torch.Generator, optional): random source of the
                noise; None uses torch's global RNG.

        Returns:
            Tensor: (B, num_patches) float scores (log space for
            importance sampling).
        """
        if self.strategy == 'block':
            raise ValueError("the 'block' strategy has no scores")
        if self.needs_importance:
            if importance is None:
                raise ValueError(f'strategy {self.strategy!r} needs the '
                                 'importance of every patch')
            if importance.shape != (batch_size, self.num_patches):
                raise ValueError(
                    f'importance must be (B, num_patches) = '
                    f'{(batch_size, self.num_patches)}, got '
                    f'{tuple(importance.shape)}')
            if self.strategy == 'importance':
                return importance.float()
        noise = torch.rand(batch_size, self.num_patches, device=device,
                           generator=generator)
        if self.strategy == 'random':
            return noise
        return importance.float().log_softmax(dim=-1) - noise.log_softmax(
            dim=-1)

    def __call__(self,
                 importance: Optional[torch.Tensor] = None,
                 batch_size: Optional[int] = None,
                 device: Union[str, torch.device, None] = None,
                 generator: Optional[torch.Generator] = None
                 ) -> torch.Tensor:
        """Divide the patches.

        Args:
            importance (Tensor, optional): (B, num_patches); see
                :meth:`scores`.
            batch_size (int, optional): B when ``importance`` is None.
            device: the mask's device (default: importance's, else CPU).
            generator (torch.Generator, optional): random source; the block
                strategy draws its NumPy seed from it. None: torch's global
                RNG (seeded by mmengine's ``randomness``).

        Returns:
            Tensor: bool (B, num_patches), True = masked, exactly
            ``num_masked`` per row.
        """
        if importance is not None:
            batch_size = importance.shape[0]
            device = importance.device if device is None else device
        if batch_size is None:
            raise ValueError('give the importance or the batch size')
        device = 'cpu' if device is None else device
        if self.strategy == 'block':
            seed = int(torch.randint(2**62, (1, ), generator=generator))
            rng = np.random.default_rng(seed)
            masks = [
                self.block_generator.generate(rng)[0].reshape(-1)
                for _ in range(batch_size)
            ]
            return torch.from_numpy(np.stack(masks)).to(device)
        scores = self.scores(importance, batch_size, device, generator)
        masked_index = scores.topk(self.num_masked, dim=1).indices
        mask = torch.zeros(batch_size, self.num_patches, dtype=torch.bool,
                           device=scores.device)
        return mask.scatter_(1, masked_index, True).to(device)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(grid={self.grid}, '
                f'mask_ratio={self.mask_ratio}, strategy={self.strategy!r}, '
                f'num_masked={self.num_masked})')
