"""Images of the analysis tools: files (taken as given) and folders
(searched for image suffixes) alike, the test view (square and non-square crops), normalization in RGB and BGR order."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmcae.analysis import (find_images, load_image, normalize,
                            preprocessor_normalize)
from mmcae.utils.errors import UserError


def test_files_and_folders(tmp_path):
    (tmp_path / 'd').mkdir()
    pixels = np.zeros((20, 30, 3), np.uint8)
    for name in ('d/b.webp', 'd/a.bmp', 'c.png'):
        Image.fromarray(pixels).save(tmp_path / name)
    (tmp_path / 'd' / 'skip.txt').write_text('x')
    found = find_images([str(tmp_path / 'c.png'), str(tmp_path / 'd')])
    assert [p.split('/')[-1] for p in found] == ['c.png', 'a.bmp', 'b.webp']
    assert find_images([str(tmp_path / 'd')], 1) == found[1:2]
    with pytest.raises(UserError, match="image file not found: '.*x.png'"):
        find_images([str(tmp_path / 'x.png')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(UserError, match='no image files .* under'):
        find_images([str(tmp_path / 'empty')])


def test_test_view(tmp_path):
    # 64 px crops: the short side becomes round(64 * 256 / 224) = 73
    pixels = np.zeros((100, 200, 3), np.uint8)
    pixels[:, 100:] = 255
    Image.fromarray(pixels).save(tmp_path / 'wide.png')
    crop = load_image(str(tmp_path / 'wide.png'), 64)
    assert crop.shape == (64, 64, 3)
    assert crop[:, :28].max() < 40 and crop[:, 36:].min() > 215
    assert load_image(str(tmp_path / 'wide.png'), (32, 48)).shape == \
        (32, 48, 3)
    with pytest.raises(UserError, match='--img-size must be >= 1'):
        load_image(str(tmp_path / 'wide.png'), 0)


def test_normalize_orders():
    crops = np.zeros((1, 2, 2, 3), np.uint8)
    crops[..., 0] = 255  # red
    rgb = normalize(crops, (0., 0., 0.), (1., 1., 1.))
    assert rgb[0, :, 0, 0].tolist() == [255., 0., 0.]
    cfg = Config(dict(model=dict(data_preprocessor=dict(
        mean=[10., 20., 30.], std=[2., 2., 2.]))))
    bgr = preprocessor_normalize(crops, cfg)  # no to_rgb: mmcv's BGR
    assert torch.allclose(bgr[0, :, 0, 0],
                          torch.tensor([-5., -10., 112.5]))
