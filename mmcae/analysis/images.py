"""Images for the analysis tools: finding them, the test view the models
see, and their normalization.

mmpretrain's test pipeline (``LoadImageFromFile``, ``ResizeEdge``,
``CenterCrop``, ``PackInputs``) does the same for a dataset; the tools take
loose files and folders and need the uint8 crop itself (to draw on it), so
the view is made here with PIL in a few lines.
"""
import glob
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from PIL import Image

from mmcae.utils.errors import UserError

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.webp')
#: ImageNet statistics in RGB order, on the 0-255 scale
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)
#: the ImageNet test view: the crop is 224 / 256 of the resized image
CROP_RATIO = 224 / 256

Size = Union[int, Sequence[int]]


def _pair(size: Size) -> Tuple[int, int]:
    if isinstance(size, int):
        return size, size
    return int(size[0]), int(size[1])


def _images_under(folder: str) -> List[str]:
    return sorted(
        p for p in glob.glob(osp.join(folder, '**', '*'), recursive=True)
        if p.lower().endswith(IMAGE_SUFFIXES) and osp.isfile(p))


def find_images(inputs: Union[str, Sequence[str]],
                num_images: Optional[int] = None) -> List[str]:
    """Image files (any case of :data:`IMAGE_SUFFIXES`): files as given,
    folders searched recursively and sorted; the first ``num_images``.

    Args:
        inputs (str | list[str]): a folder, or files and folders.
        num_images (int, optional): keep this many (default: all).

    Raises:
        UserError: an input that does not exist, no images, or
            ``num_images`` < 1.
    """
    if num_images is not None and num_images < 1:
        raise UserError(f'--num-images must be >= 1, got {num_images}')
    items = [inputs] if isinstance(inputs, str) else list(inputs)
    paths: List[str] = []
    for item in items:
        if osp.isdir(item):
            paths += _images_under(item)
        elif osp.isfile(item):
            paths.append(item)
        else:
            kind = 'file' if item.lower().endswith(IMAGE_SUFFIXES) \
                else 'folder'
            raise UserError(f'image {kind} not found: {item!r}')
    if not paths:
        where = repr(inputs) if isinstance(inputs, str) else str(items)
        raise UserError(f'no image files ({", ".join(IMAGE_SUFFIXES)}) '
                        f'under {where}')
    return paths[:num_images] if num_images else paths


def sample_training_images(cfg, num_images: int = 8) -> List[str]:
    """A fixed sample of the config's training set (NumPy seed 0, in
    file-list order), the same in every run.

    The sample is random, not evenly spaced: the file lists of
    class-interleaved sets such as the demo one would give a single class.

    Raises:
        UserError: the training set cannot be read or is empty.
    """
    from mmengine.registry import DATASETS, DefaultScope
    dataset_cfg = cfg.train_dataloader.dataset.to_dict()
    dataset_cfg['pipeline'] = []
    root = dataset_cfg.get('data_root')
    try:
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            dataset = DATASETS.build(dataset_cfg)
    except (FileNotFoundError, OSError, RuntimeError, AssertionError,
            ValueError) as error:
        raise UserError(
            f"the config's training set ({root}) cannot be read ({error}); "
            'pass --images, or --cfg-options '
            'train_dataloader.dataset.data_root=DIR') from error
    if len(dataset) == 0:
        raise UserError(f"the config's training set ({root}) holds no "
                        'images; pass --images')
    chosen = np.random.default_rng(0).choice(
        len(dataset), min(num_images, len(dataset)), replace=False)
    return [dataset.get_data_info(int(i))['img_path'] for i in sorted(chosen)]


def load_image(path: str, img_size: Size = 224) -> np.ndarray:
    """The test view as uint8 RGB (H, W, 3).

    The image is resized (bicubic, aspect kept) so that the crop covers
    :data:`CROP_RATIO` of it in its tighter direction, the target side
    rounded to whole pixels as mmpretrain's ``ResizeEdge`` takes it (a
    square 224 crop: the short side becomes 256), then the centre
    ``img_size`` (int or (H, W)) is cut out.

    Raises:
        UserError: the file cannot be read, or a size < 1.
    """
    crop_h, crop_w = _pair(img_size)
    if min(crop_h, crop_w) < 1:
        raise UserError(f'--img-size must be >= 1, got {img_size}')
    try:
        image = Image.open(path).convert('RGB')
    except OSError as err:
        raise UserError(f'cannot read image {path!r}: {err}') from err
    width, height = image.size
    target_h = max(crop_h, int(round(crop_h / CROP_RATIO)))
    target_w = max(crop_w, int(round(crop_w / CROP_RATIO)))
    scale = max(target_h / height, target_w / width)
    size = (max(target_w, int(round(width * scale))),
            max(target_h, int(round(height * scale))))
    image = image.resize(size, Image.BICUBIC)
    left = (size[0] - crop_w) // 2
    top = (size[1] - crop_h) // 2
    return np.asarray(image.crop((left, top, left + crop_w, top + crop_h)))


def random_crops(path: str,
                 img_size: Size = 224,
                 num_crops: int = 1,
                 seed: int = 0,
                 crop_ratio_range: Tuple[float, float] = (0.2, 1.0),
                 aspect_ratio_range: Tuple[float, float] = (3. / 4.,
                                                            4. / 3.)
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """Random resized crops of an image as uint8 RGB views (CAE arXiv
    Fig. 10 / IJCV Fig. 8: attention maps of random crops).

    The boxes are mmpretrain's ``RandomResizedCrop`` draws (area fraction
    in ``crop_ratio_range`` of the whole image, log-uniform aspect ratio,
    its central-crop fallback), made with NumPy's global generator seeded
    from ``seed`` and the file's name, and restored afterwards: the same
    crops for the same file and seed whatever other images are analysed.
    Each box is resized (bicubic) to ``img_size``.

    Returns:
        tuple: crops (num_crops, H, W, 3) uint8 and their boxes
        (num_crops, 4) as (x1, y1, x2, y2) pixels of the original image.

    Raises:
        UserError: the file cannot be read, or num_crops < 1.
    """
    import zlib

    from mmpretrain.datasets.transforms import RandomResizedCrop
    if num_crops < 1:
        raise UserError(f'--num-crops must be >= 1, got {num_crops}')
    crop_h, crop_w = _pair(img_size)
    try:
        image = Image.open(path).convert('RGB')
    except OSError as err:
        raise UserError(f'cannot read image {path!r}: {err}') from err
    draw = RandomResizedCrop(
        scale=crop_h,
        crop_ratio_range=crop_ratio_range,
        aspect_ratio_range=aspect_ratio_range)
    pixels = np.asarray(image)
    state = np.random.get_state()
    try:
        np.random.seed([seed, zlib.crc32(osp.basename(path).encode())])
        params = [draw.rand_crop_params(pixels) for _ in range(num_crops)]
    finally:
        np.random.set_state(state)
    boxes = np.array([[left, top, left + width, top + height]
                      for top, left, height, width in params])
    crops = np.stack([
        np.asarray(image.crop(tuple(box)).resize((crop_w, crop_h),
                                                 Image.BICUBIC))
        for box in boxes
    ])
    return crops, boxes


def normalize(crops: np.ndarray,
              mean: Sequence[float] = IMAGENET_MEAN,
              std: Sequence[float] = IMAGENET_STD,
              to_rgb: bool = True) -> torch.Tensor:
    """uint8 RGB crops (N, H, W, 3) -> model input (N, 3, H, W) float32.

    Args:
        crops (np.ndarray): :func:`load_image` views.
        mean, std: per channel, in the model's channel order.
        to_rgb (bool): the model takes RGB; False: BGR (mmcv's loading
            order, for a ``data_preprocessor`` without ``to_rgb``).
    """
    images = torch.from_numpy(np.ascontiguousarray(crops)).permute(
        0, 3, 1, 2).float()
    if not to_rgb:
        images = images.flip(1)
    mean = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    return (images - mean) / std


def preprocessor_stats(cfg) -> Tuple[Sequence[float], Sequence[float],
                                     bool]:
    """(mean, std, to_rgb) of the config's ``data_preprocessor`` (mean /
    std default to 0 / 1; ``to_rgb`` or mmseg's ``bgr_to_rgb``)."""
    preprocessor = cfg.model.get('data_preprocessor') or {}
    to_rgb = preprocessor.get('to_rgb', False) or preprocessor.get(
        'bgr_to_rgb', False)
    return (preprocessor.get('mean', [0., 0., 0.]),
            preprocessor.get('std', [1., 1., 1.]), bool(to_rgb))


def preprocessor_normalize(crops: np.ndarray, cfg) -> torch.Tensor:
    """:func:`normalize` as the config's ``data_preprocessor`` does it on
    mmcv's BGR images (mean / std default to 0 / 1)."""
    return normalize(crops, *preprocessor_stats(cfg))


def denormalize(images: torch.Tensor,
                mean: Sequence[float] = IMAGENET_MEAN,
                std: Sequence[float] = IMAGENET_STD,
                to_rgb: bool = True) -> np.ndarray:
    """The inverse of :func:`normalize`: model inputs (N, 3, H, W) ->
    uint8 RGB (N, H, W, 3), rounded and clipped to 0-255."""
    mean = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    pixels = images.detach().float().cpu() * std + mean
    if not to_rgb:
        pixels = pixels.flip(1)
    return pixels.round().clamp(0, 255).to(torch.uint8).permute(
        0, 2, 3, 1).numpy()


def load_images(paths: Sequence[str], img_size: Size = 224) -> torch.Tensor:
    """:func:`load_image` views normalized with the ImageNet mean and std
    (RGB order).

    Returns:
        Tensor: (N, 3, H, W) float32.
    """
    return normalize(np.stack([load_image(p, img_size) for p in paths]))
