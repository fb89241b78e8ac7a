"""mmseg's ``LoadAnnotations`` that refuses a label map of the wrong size.

Why not mmseg's transform as it is: it loads the label map whatever its
size. A training sample whose label map is smaller or larger than its
image is then resized and cropped with it and trains on misaligned labels
without a word; in validation mmseg's ``IoUMetric`` stops with
``IndexError: The shape of the mask ...`` naming no file. A label file
that does not decode gives PIL's ``cannot identify image file
<_io.BytesIO object ...>``, again without the file. This subclass loads
the map exactly as mmseg does, then checks it against the image size that
``LoadImageFromFile`` recorded (``ori_shape``: the test pipelines load the
labels after ``Resize``, which changes ``img_shape`` but not
``ori_shape``), and names both files in its error.
"""
from typing import Optional, Sequence

from mmseg.datasets.transforms import LoadAnnotations
from PIL import UnidentifiedImageError

from mmcae.registry import TRANSFORMS
from mmcae.utils.errors import UserError


def _size_text(shape: Sequence[int]) -> str:
    """'H x W' (or the whole shape for a map that is not 2-D)."""
    if len(shape) == 2:
        return f'{shape[0]} x {shape[1]} (h x w)'
    return f'shape {tuple(shape)}'


@TRANSFORMS.register_module()
class LoadSegAnnotations(LoadAnnotations):
    """mmseg's :class:`~mmseg.datasets.transforms.LoadAnnotations` (same
    arguments, same result) that checks the label map against its image.

    Use it as ``dict(type='mmcae.LoadSegAnnotations',
    reduce_zero_label=True)`` after ``LoadImageFromFile``, in place of
    ``LoadAnnotations``.

    **Required Keys:** ``seg_map_path``; ``ori_shape`` and ``img_path``
    (set by ``LoadImageFromFile``) for the size check: without
    ``ori_shape`` the map is not checked.

    Raises:
        UserError: the label map cannot be read or decoded (naming it and
            its image), or its height and width differ from the image's
            (naming both files and both sizes).
    """

    def _load_seg_map(self, results: dict) -> None:
        label_path = results.get('seg_map_path')
        image_path = results.get('img_path')
        try:
            super()._load_seg_map(results)
        except FileNotFoundError as err:
            raise UserError(
                f"label map '{label_path}' (of image '{image_path}') not "
                'found; check data_root, data_prefix.seg_map_path and '
                'seg_map_suffix of the dataset') from err
        except (OSError, SyntaxError, ValueError, AttributeError) as err:
            # OSError: an unreadable file, or PIL's UnidentifiedImageError
            # (whose text names an anonymous BytesIO); SyntaxError /
            # ValueError: PIL on a damaged PNG; AttributeError: cv2 returns
            # None for bytes it cannot decode and mmseg calls .squeeze()
            if isinstance(err, UnidentifiedImageError):
                reason = 'not an image file PIL can identify'
            elif isinstance(err, AttributeError):
                reason = f'{self.imdecode_backend} cannot decode it'
            else:
                reason = f'{type(err).__name__}: {err}'
            raise UserError(
                f"cannot decode the label map '{label_path}' (of image "
                f"'{image_path}'): {reason}; replace it with a "
                "single-channel PNG of the image's size") from err
        self._check_size(results, label_path, image_path)

    @staticmethod
    def _check_size(results: dict, label_path: Optional[str],
                    image_path: Optional[str]) -> None:
        """Raise if ``gt_seg_map`` is not ``ori_shape``'s height x width."""
        image_shape = results.get('ori_shape')
        if image_shape is None:
            return
        image_shape = tuple(int(side) for side in image_shape[:2])
        label_shape = tuple(int(side) for side in results['gt_seg_map'].shape)
        if label_shape == image_shape:
            return
        channels = ''
        if len(label_shape) == 3 and label_shape[:2] == image_shape:
            channels = (f' ({label_shape[2]} channels: a label map holds '
                        'one class index per pixel)')
        raise UserError(
            f"label map '{label_path}' is {_size_text(label_shape)}"
            f"{channels} but its image '{image_path}' is "
            f'{_size_text(image_shape)}: every pixel of the image needs its '
            'label at the same position; re-export the label map at the '
            "image's size or fix the pairing of images and labels "
            '(data_prefix, img_suffix, seg_map_suffix)')
