"""Block-wise patch masking with an exact count (BEiT's blocks), pure
NumPy: what the CAE mask transform
(:class:`mmcae.datasets.transforms.CAEBlockMaskGenerator`) and ccMIM's
'block' division (:class:`mmcae.models.utils.ContextualPatchDivider`) both
draw, here so that models need not import the data pipeline.
"""
import math
from typing import Any, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

#: what ``generate`` draws its random numbers from: a ``np.random.Generator``,
#: a legacy ``np.random.RandomState`` or the ``np.random`` module itself
#: (NumPy's global RNG); all three offer ``uniform`` and ``choice``.
RandomSource = Union[np.random.Generator, np.random.RandomState, Any]


class MaskBlock(NamedTuple):
    """One rectangle placed by :class:`BlockMaskSampler` (in patches)."""
    top: int
    left: int
    height: int
    width: int


def _random_int(rng: RandomSource, low: int, high: int) -> int:
    """A uniform integer in ``[low, high]`` (both ends included) from a
    ``np.random.Generator`` (``integers``) or from a ``RandomState`` or the
    ``np.random`` module (``randint``)."""
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(low, high + 1))
    return int(rng.randint(low, high + 1))


class BlockMaskSampler:
    """Draw block-wise random masks of EXACTLY ``num_masking_patches``
    patches on a patch grid (BEiT's blocks: at least 16 patches, aspect
    ratio in [0.3, 1 / 0.3] by default).

    Algorithm (the BEiT procedure, ending at the exact count):

    1. While patches remain to be masked, place a block. Its budget is the
       number of patches still to mask, capped by ``max_num_patches``. Its
       target area is uniform in ``[min_num_patches, budget]``, or the
       budget itself when the budget is below ``min_num_patches``; its aspect
       ratio (height / width) is log-uniform in ``[min_aspect, max_aspect]``;
       height and width are the rounded ``sqrt(area * aspect)`` and
       ``sqrt(area / aspect)``; its top-left corner is uniform over the
       positions where it fits in the grid. A block is accepted only if it
       fits, its area is at least ``min_num_patches`` (when the budget
       allows that many; rounding can otherwise shrink it below the
       minimum), and it masks ``0 < new <= budget`` patches not masked yet.
    2. If ``max_attempts_per_block`` draws in a row give no acceptable block
       (the grid is too full for new blocks), stop placing blocks.
    3. Mask uniformly random unmasked patches until the count is exact.
       Step 1 never overshoots, so no patch ever has to be unmasked.

    Randomness: by default the numbers come from NumPy's global RNG, which
    mmengine seeds differently in every dataloader worker (``randomness``
    in the config), as for every other OpenMMLab transform. Pass ``seed``
    (an int or a ``np.random.Generator``) to get a reproducible private
    stream instead, for tests and analysis. Do not use ``seed`` for
    training with several dataloader workers: each worker gets a copy of
    the same generator and would produce the same masks.

    Args:
        input_size (int | Sequence[int]): The patch grid, ``h`` or
            ``(h, w)``; 14 for a 224 px image with 16 px patches.
            Defaults to 14.
        num_masking_patches (int): Patches to mask in every image, fewer
            than ``h * w``. Defaults to 98 (IJCV / official scripts; the
            arXiv paper: 75).
        min_num_patches (int): Minimum area of a block. Defaults to 16.
        max_num_patches (int, optional): Maximum number of patches one block
            may add. Defaults to None (= ``num_masking_patches``).
        min_aspect (float): Minimum block aspect ratio (height / width).
            Defaults to 0.3.
        max_aspect (float, optional): Maximum block aspect ratio. Defaults to
            None (= ``1 / min_aspect``).
        max_attempts_per_block (int): Draws for one block before block
            placement stops. Defaults to 10 (as in BEiT).
        seed (int | np.random.Generator, optional): Private random stream;
            None uses NumPy's global RNG. Defaults to None.
    """

    def __init__(
            self,
            input_size: Union[int, Sequence[int]] = 14,
            num_masking_patches: int = 98,
            min_num_patches: int = 16,
            max_num_patches: Optional[int] = None,
            min_aspect: float = 0.3,
            max_aspect: Optional[float] = None,
            max_attempts_per_block: int = 10,
            seed: Optional[Union[int, np.random.Generator]] = None) -> None:
        if isinstance(input_size, (int, np.integer)):
            input_size = (input_size, input_size)
        input_size = tuple(input_size)
        if len(input_size) != 2 or not all(
                isinstance(side, (int, np.integer)) and side > 0
                for side in input_size):
            raise ValueError('input_size must be a positive int or a pair '
                             f'(h, w) of positive ints, got {input_size!r}')
        self.height, self.width = int(input_size[0]), int(input_size[1])
        self.num_patches = self.height * self.width

        if num_masking_patches < 0:
            raise ValueError(
                f'num_masking_patches must be >= 0, got {num_masking_patches}')
        if num_masking_patches >= self.num_patches:
            # a mask of every patch leaves the encoder no token to see:
            # CAE would train on nothing without a word
            raise ValueError(
                f'num_masking_patches = {num_masking_patches} masks every '
                f'patch of the {self.height}x{self.width} patch grid '
                f'(input_size = {input_size}): the encoder would see no '
                f'patch. Set num_masking_patches below {self.num_patches} '
                f'(CAE masks about half: {self.num_patches // 2}), or '
                'input_size to the model\'s patch grid (crop size / '
                'model.backbone.patch_size)')
        if min_num_patches < 1:
            raise ValueError(
                f'min_num_patches must be >= 1, got {min_num_patches}')
        if max_num_patches is not None and max_num_patches < min_num_patches:
            raise ValueError(f'max_num_patches ({max_num_patches}) must be >= '
                             f'min_num_patches ({min_num_patches})')
        if not min_aspect > 0:
            raise ValueError(f'min_aspect must be > 0, got {min_aspect}')
        if max_aspect is None:
            max_aspect = 1 / min_aspect
        if max_aspect < min_aspect:
            raise ValueError(f'max_aspect ({max_aspect}) must be >= '
                             f'min_aspect ({min_aspect})')
        if max_attempts_per_block < 1:
            raise ValueError('max_attempts_per_block must be >= 1, got '
                             f'{max_attempts_per_block}')

        self.num_masking_patches = int(num_masking_patches)
        self.min_num_patches = int(min_num_patches)
        self.max_num_patches = (
            self.num_masking_patches
            if max_num_patches is None else int(max_num_patches))
        self.min_aspect = float(min_aspect)
        self.max_aspect = float(max_aspect)
        self.log_aspect_range = (math.log(self.min_aspect),
                                 math.log(self.max_aspect))
        self.max_attempts_per_block = int(max_attempts_per_block)

        self.seed = seed
        if seed is None or isinstance(seed, np.random.Generator):
            self._rng = seed
        else:
            self._rng = np.random.default_rng(seed)

    def _default_rng(self) -> RandomSource:
        """The private generator if ``seed`` was given, else the ``np.random``
        module, i.e. NumPy's global RNG (so ``np.random.seed`` and mmengine's
        per-worker seeding apply)."""
        if self._rng is not None:
            return self._rng
        return np.random

    def _place_block(self, mask: np.ndarray, budget: int,
                     rng: RandomSource) -> Optional[Tuple[MaskBlock, int]]:
        """Try up to ``max_attempts_per_block`` random blocks; mask the first
        acceptable one in place.

        Args:
            mask (np.ndarray): The bool mask so far, updated in place.
            budget (int): The most new patches the block may mask.
            rng: The random source.

        Returns:
            tuple | None: ``(block, newly_masked)`` or None if every attempt
            failed.
        """
        # rounding the sides can shrink a block below min_num_patches;
        # such blocks are redrawn unless the budget itself is that small
        min_area = self.min_num_patches if budget >= self.min_num_patches \
            else 1
        for _ in range(self.max_attempts_per_block):
            if budget < self.min_num_patches:
                target_area = float(budget)
            else:
                target_area = rng.uniform(self.min_num_patches, budget)
            aspect = math.exp(rng.uniform(*self.log_aspect_range))
            height = max(1, int(round(math.sqrt(target_area * aspect))))
            width = max(1, int(round(math.sqrt(target_area / aspect))))
            if (height > self.height or width > self.width
                    or height * width < min_area):
                continue
            top = _random_int(rng, 0, self.height - height)
            left = _random_int(rng, 0, self.width - width)
            window = mask[top:top + height, left:left + width]
            newly_masked = height * width - int(window.sum())
            if 0 < newly_masked <= budget:
                window[...] = True
                return MaskBlock(top, left, height, width), newly_masked
        return None

    def generate(
        self,
        rng: Optional[RandomSource] = None
    ) -> Tuple[np.ndarray, List[MaskBlock]]:
        """Draw one mask.

        Args:
            rng (np.random.Generator | np.random.RandomState, optional): The
                random source (the ``np.random`` module also works); None
                uses the transform's own (``seed``, or NumPy's global RNG).

        Returns:
            tuple: ``(mask, blocks)``: the bool ``(h, w)`` mask with exactly
            ``num_masking_patches`` True, and the blocks
            (:class:`MaskBlock`, i.e. ``(top, left, height, width)``) placed
            before the random fill-up, in placement order. The budget of
            block ``k`` is ``min(num_masking_patches - <patches masked by
            blocks 0..k-1>, max_num_patches)``.
        """
        if rng is None:
            rng = self._default_rng()
        mask = np.zeros((self.height, self.width), dtype=bool)
        blocks: List[MaskBlock] = []
        num_masked = 0
        while num_masked < self.num_masking_patches:
            budget = min(self.num_masking_patches - num_masked,
                         self.max_num_patches)
            placed = self._place_block(mask, budget, rng)
            if placed is None:
                break
            block, newly_masked = placed
            blocks.append(block)
            num_masked += newly_masked

        shortfall = self.num_masking_patches - num_masked
        assert shortfall >= 0, 'block placement overshot the masking budget'
        if shortfall > 0:
            unmasked = np.flatnonzero(~mask)
            chosen = rng.choice(unmasked, size=shortfall, replace=False)
            mask.flat[chosen] = True
        assert int(mask.sum()) == self.num_masking_patches
        return mask, blocks

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}('
                f'input_size={(self.height, self.width)}, '
                f'num_masking_patches={self.num_masking_patches}, '
                f'min_num_patches={self.min_num_patches}, '
                f'max_num_patches={self.max_num_patches}, '
                f'min_aspect={self.min_aspect}, '
                f'max_aspect={self.max_aspect}, '
                f'max_attempts_per_block={self.max_attempts_per_block}, '
                f'seed={self.seed!r})')
