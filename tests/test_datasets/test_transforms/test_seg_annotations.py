"""mmcae.LoadSegAnnotations: mmseg's LoadAnnotations that names the files
of a label map whose size differs from its image's, or that cannot be
decoded."""
import numpy as np
import pytest
from mmcv.transforms import Compose
from PIL import Image

from mmcae.datasets.transforms import LoadSegAnnotations
from mmcae.utils.errors import UserError

#: the train and test pipelines of configs/_base_/datasets/ade20k_512x512.py
#: at a small size (the test pipeline loads the labels after Resize)
TRAIN_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='mmcae.LoadSegAnnotations', reduce_zero_label=True),
    dict(type='RandomResize', scale=(64, 32), ratio_range=(0.5, 2.0),
         keep_ratio=True),
    dict(type='RandomCrop', crop_size=(24, 24)),
]
TEST_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 32), keep_ratio=True),
    dict(type='mmcae.LoadSegAnnotations', reduce_zero_label=True),
]


def _pipeline(transforms):
    """The transforms built in mmseg's scope, as its runner would."""
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmseg'):
        return Compose(transforms)


def _sample(tmp_path, image_size=(40, 30), label_size=(40, 30)):
    """An image and a label map of (h, w) sizes; the results dict an
    mmseg dataset gives the pipeline."""
    image_path = tmp_path / 'img_0.png'
    label_path = tmp_path / 'label_0.png'
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (*image_size, 3),
                                 dtype=np.uint8)).save(image_path)
    Image.fromarray(rng.integers(0, 5, label_size,
                                 dtype=np.uint8)).save(label_path)
    return dict(img_path=str(image_path), seg_map_path=str(label_path),
                reduce_zero_label=True, seg_fields=[])


@pytest.mark.parametrize('transforms', [TRAIN_PIPELINE, TEST_PIPELINE])
def test_matching_sizes_load_as_mmseg_does(tmp_path, transforms):
    from mmseg.datasets.transforms import LoadAnnotations
    results = _pipeline(transforms)(_sample(tmp_path))
    if transforms is TRAIN_PIPELINE:  # resized and cropped with the image
        assert results['gt_seg_map'].shape == results['img'].shape[:2]
    else:  # the original size, for the metric
        assert results['gt_seg_map'].shape == results['ori_shape'] == (40, 30)
    # the loaded map is exactly mmseg's
    ours = LoadSegAnnotations(reduce_zero_label=True)(_sample(tmp_path))
    theirs = LoadAnnotations(reduce_zero_label=True)(_sample(tmp_path))
    np.testing.assert_array_equal(ours['gt_seg_map'], theirs['gt_seg_map'])
    raw = np.asarray(Image.open(tmp_path / 'label_0.png')).astype(int)
    np.testing.assert_array_equal(ours['gt_seg_map'],
                                  np.where(raw == 0, 255, raw - 1))


@pytest.mark.parametrize('transforms', [TRAIN_PIPELINE, TEST_PIPELINE],
                         ids=['train', 'val'])
def test_wrong_size_names_both_files_and_sizes(tmp_path, transforms):
    sample = _sample(tmp_path, image_size=(40, 30), label_size=(20, 30))
    with pytest.raises(UserError) as error:
        _pipeline(transforms)(sample)
    message = str(error.value)
    assert f"label map '{tmp_path / 'label_0.png'}' is 20 x 30 (h x w)" \
        in message
    assert f"its image '{tmp_path / 'img_0.png'}' is 40 x 30 (h x w)" \
        in message
    assert 're-export the label map' in message
    assert '\n' not in message


def test_transposed_label_map_is_caught(tmp_path):
    """A 30 x 40 map for a 40 x 30 image has the right pixel count and
    would train rotated labels after resize and crop."""
    sample = _sample(tmp_path, image_size=(40, 30), label_size=(30, 40))
    with pytest.raises(UserError, match=r'is 30 x 40 .* is 40 x 30'):
        _pipeline(TRAIN_PIPELINE)(sample)


def test_rgb_label_map_says_single_channel(tmp_path):
    sample = _sample(tmp_path)
    Image.fromarray(np.zeros((40, 30, 3), np.uint8)).save(
        sample['seg_map_path'])
    with pytest.raises(UserError) as error:
        _pipeline(TRAIN_PIPELINE)(sample)
    assert 'shape (40, 30, 3) (3 channels: a label map holds one class ' \
        'index per pixel)' in str(error.value)


def _truncated_png(path) -> bytes:
    Image.fromarray(np.zeros((40, 30), np.uint8) + 3).save(path)
    with open(path, 'rb') as f:
        data = f.read()
    return data[:len(data) // 2]


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
@pytest.mark.parametrize('damage, reason', [
    ('text', 'not an image file PIL can identify'),
    ('truncated', 'OSError: image file is truncated'),
])
def test_undecodable_label_names_the_file(tmp_path, backend, damage,
                                          reason):
    sample = _sample(tmp_path)
    content = b'not a png' if damage == 'text' else _truncated_png(
        sample['seg_map_path'])
    with open(sample['seg_map_path'], 'wb') as f:
        f.write(content)
    transform = LoadSegAnnotations(
        reduce_zero_label=True, imdecode_backend=backend)
    with pytest.raises(UserError) as error:
        transform(_pipeline(TEST_PIPELINE[:1])(sample))
    if backend == 'cv2':  # cv2.imdecode gives None, mmseg .squeeze()s it
        reason = 'cv2 cannot decode it'
    message = str(error.value)
    # (PIL's text for a truncated file varies with its version)
    assert message.startswith(
        f"cannot decode the label map '{sample['seg_map_path']}' (of image "
        f"'{sample['img_path']}'): {reason}")
    assert message.endswith(
        "; replace it with a single-channel PNG of the image's size")


def test_missing_label_names_the_file(tmp_path):
    sample = _sample(tmp_path)
    sample['seg_map_path'] = str(tmp_path / 'missing.png')
    with pytest.raises(UserError) as error:
        _pipeline(TRAIN_PIPELINE)(sample)
    assert str(error.value) == (
        f"label map '{tmp_path / 'missing.png'}' (of image "
        f"'{sample['img_path']}') not found; check data_root, "
        'data_prefix.seg_map_path and seg_map_suffix of the dataset')


def test_no_image_shape_no_check(tmp_path):
    """Used without LoadImageFromFile (no ``ori_shape``): loads as mmseg."""
    sample = _sample(tmp_path, image_size=(40, 30), label_size=(20, 30))
    results = LoadSegAnnotations(reduce_zero_label=True)(sample)
    assert results['gt_seg_map'].shape == (20, 30)
