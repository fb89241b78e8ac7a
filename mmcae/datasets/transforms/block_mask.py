"""Block-wise patch masking for CAE (BEiT-style blocks, exact count).

Implements the masking of CAE (arXiv 2022, Sec. 3 "Masking and targets";
IJCV 2023, Sec. 3 "Masking"): "Following BEiT, we adopt the random block-wise
masking strategy ... For each image, 75 of 196 (14 x 14) patches are masked"
(arXiv) and "98 of 196" (IJCV, 50 %, also the official pretraining scripts).
The block parameters are BEiT's: at least 16 patches per block and a block
aspect ratio in [0.3, 1 / 0.3].
"""
from mmcv.transforms import BaseTransform

from mmcae.registry import TRANSFORMS
from mmcae.utils.block_masking import (BlockMaskSampler, MaskBlock,
                                       RandomSource)

__all__ = ['CAEBlockMaskGenerator', 'MaskBlock', 'RandomSource']


@TRANSFORMS.register_module()
class CAEBlockMaskGenerator(BlockMaskSampler, BaseTransform):
    """Block-wise random mask with EXACTLY ``num_masking_patches`` patches.

    **Added Keys:**

    - mask (np.ndarray): bool array of shape ``(h, w)`` (the patch grid),
      ``True`` = masked.

    CAE follows BEiT's random block-wise masking: the paper masks 75 of the
    196 patches of a 14 x 14 grid in the arXiv version (2022) and 98 of 196
    (50 %) in the IJCV version (2023) and the official scripts, with blocks
    of at least 16 patches and aspect ratios in [0.3, 1 / 0.3]. The default
    here is the IJCV setting; set ``num_masking_patches=75`` for the arXiv
    one.

    The masks come from
    :class:`~mmcae.utils.block_masking.BlockMaskSampler` (the algorithm,
    the options and their checks; ``generate`` also gives the blocks).

    Why not mmpretrain's ``BEiTMaskGenerator``: CAE's encoder keeps the
    visible tokens of a batch with ``x[~mask].reshape(B, -1, C)``, which
    needs the SAME number of masked patches in every image. BEiT's original
    generator stops as soon as a round of attempts adds nothing, so it can
    end below the requested count and the count varies per image.
    mmpretrain 1.2.0's port instead retries without bound until the count is
    exact (it can loop forever on a nearly full grid), never masks the last
    row or column of the grid (its top-left corner is drawn with an
    exclusive upper bound, and blocks must be strictly smaller than the
    grid) and returns an int mask. This class always terminates, can mask
    any patch, ends at exactly ``num_masking_patches`` and returns bool.
    It refuses to mask every patch (the encoder would see none).

    Randomness: NumPy's global RNG by default, which mmengine seeds
    differently in every dataloader worker (``randomness`` in the config);
    ``seed`` gives a private stream for tests and analysis only (every
    worker would get a copy of it and draw the same masks).

    Args: those of :class:`~mmcae.utils.block_masking.BlockMaskSampler`:
    ``input_size`` (the patch grid, default 14), ``num_masking_patches``
    (default 98, IJCV; arXiv: 75), ``min_num_patches``, ``max_num_patches``,
    ``min_aspect``, ``max_aspect``, ``max_attempts_per_block``, ``seed``.
    """

    def transform(self, results: dict) -> dict:
        """Add ``results['mask']``, a bool ``(h, w)`` array, True = masked.

        Args:
            results (dict): The result dict of the previous transforms.

        Returns:
            dict: ``results`` with the key ``mask`` added.
        """
        results['mask'], _ = self.generate()
        return results
