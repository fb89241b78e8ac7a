"""Patch t-SNE (CAE arXiv Fig. 5 / App. B, IJCV Fig. 7): the majority-label
rule on hand-made label maps (no majority, ignore pixels), the sampling
caps, the k-NN accuracy of separable features, the dataset reading
(CamVid's void is ignored), and the tool end to end on the demo ADE20K
set."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmcae.analysis.patch_tsne import (NO_LABEL, build_segmentation_set,
                                       load_segmentation_crops,
                                       majority_labels, patch_knn_accuracy,
                                       patch_tokens, resize_crop,
                                       sample_patches)
from mmcae.utils.errors import UserError
from tests.helpers import REPO_ROOT, TINY_VIT, perturb, run_python_tool

TOOL = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'patch_tsne.py')
IGNORE = 255


def test_majority_label_rule():
    # six 2 x 2 patches (2 rows x 3 cols); 3 classes, 255 = ignore, 7 is
    # no class (>= num_classes)
    label_map = np.array([
        [1, 1, 0, 0, 2, IGNORE],
        [1, 0, 1, 1, IGNORE, IGNORE],
        [2, 2, 2, 7, 0, 0],
        [2, 2, 2, IGNORE, 1, IGNORE],
    ])
    labels = majority_labels(label_map, 2, num_classes=3)
    np.testing.assert_array_equal(
        labels,
        [
            [1, NO_LABEL, NO_LABEL],  # 3/4; exactly half is not "more";
            [2, NO_LABEL, NO_LABEL],  # 1 of 4 with 3 ignore: no majority
        ])  # 4/4; 2/4 with 7 and 255; 2 + 1 of 4
    # a lower threshold: the largest category above it, ties to the lower
    np.testing.assert_array_equal(
        majority_labels(label_map, 2, 3, threshold=0.25),
        [[1, 0, NO_LABEL], [2, 2, 0]])
    # ignore pixels count in the patch's size: 2 of 4 class pixels with
    # 2 ignore is no majority, although they are all the labelled pixels
    assert majority_labels(np.array([[0, 0], [IGNORE, IGNORE]]), 2,
                           1)[0, 0] == NO_LABEL
    with pytest.raises(ValueError, match='multiple of the patch size'):
        majority_labels(np.zeros((3, 4), int), 2, 1)
    with pytest.raises(ValueError, match='threshold'):
        majority_labels(np.zeros((2, 2), int), 2, 1, threshold=1.)


def test_sampling_caps_and_skips_unlabelled():
    labels = np.array([0] * 10 + [1] * 3 + [NO_LABEL] * 5 + [2])
    chosen = sample_patches(labels, max_per_class=4, seed=0)
    counts = np.bincount(labels[chosen])
    np.testing.assert_array_equal(counts, [4, 3, 1])
    assert NO_LABEL not in labels[chosen]
    np.testing.assert_array_equal(chosen, sample_patches(labels, 4, 0))
    assert np.all(np.diff(chosen) > 0)


def test_knn_accuracy_of_separable_features():
    generator = torch.Generator().manual_seed(0)
    labels = np.arange(60) % 3
    features = torch.eye(8)[labels] * 5 + 0.1 * torch.randn(
        60, 8, generator=generator)
    image_ids = np.arange(60) // 10  # 6 images
    result = patch_knn_accuracy(features, labels, image_ids, 3, k=5)
    assert result['top1'] == 100.
    assert result['num_reference'] + result['num_query'] == 60
    assert result['num_reference_images'] == 3
    # shuffled labels: chance-level, not 100
    rng = np.random.default_rng(0)
    shuffled = patch_knn_accuracy(
        features, rng.permutation(labels), image_ids, 3, k=5)
    assert shuffled['top1'] < 80.
    with pytest.raises(UserError, match='at least 2 images'):
        patch_knn_accuracy(features, labels, np.zeros(60, int), 3)


def test_resize_crop_keeps_label_values():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (30, 50, 3), np.uint8)
    label_map = rng.choice([0, 3, IGNORE], (30, 50))
    crop, labels = resize_crop(image, label_map, (16, 24))
    assert crop.shape == (16, 24, 3) and labels.shape == (16, 24)
    assert set(np.unique(labels)) <= {0, 3, IGNORE}


def test_patch_tokens_of_pooled_and_featmap_vits():
    from mmcae.models import ViT
    torch.manual_seed(0)
    vit = perturb(ViT(arch=TINY_VIT, img_size=32, patch_size=8)).eval()
    images = torch.randn(2, 3, 32, 32)
    tokens = patch_tokens(vit, images, (4, 4))  # out_type 'cls_token'
    assert vit.out_type == 'cls_token'
    vit.out_type = 'featmap'
    with torch.no_grad():
        featmap = vit(images)[0]
    torch.testing.assert_close(tokens, featmap.flatten(2).transpose(1, 2))
    torch.testing.assert_close(patch_tokens(vit, images, (4, 4)), tokens)


@pytest.fixture(scope='module')
def camvid(tmp_path_factory):
    """Two 24 x 32 CamVid images in the SegNet layout, void (11) in the
    label maps."""
    root = tmp_path_factory.mktemp('camvid')
    rng = np.random.default_rng(0)
    lines = []
    for split in ('test', 'testannot'):
        (root / split).mkdir()
    for index in range(2):
        name = f'{index}.png'
        Image.fromarray(rng.integers(0, 255, (24, 32, 3),
                                     np.uint8)).save(root / 'test' / name)
        label_map = np.full((24, 32), 11, np.uint8)
        label_map[:, :16] = index  # left half class 0 / 1, right half void
        Image.fromarray(label_map).save(root / 'testannot' / name)
        lines.append(f'/SegNet/CamVid/test/{name} '
                     f'/SegNet/CamVid/testannot/{name}')
    (root / 'test.txt').write_text('\n'.join(lines) + '\n')
    return str(root)


def test_camvid_void_is_no_category(camvid):
    config = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', 'camvid.py')
    dataset = build_segmentation_set(config, 'val', camvid)
    assert len(dataset.metainfo['classes']) == 11
    data = load_segmentation_crops(dataset, 5, (24, 32))
    assert data['crops'].shape == (2, 24, 32, 3)
    assert set(np.unique(data['labels'])) == {0, 1, IGNORE}
    labels = majority_labels(data['labels'][1], 8, 11)
    np.testing.assert_array_equal(labels, [[1, 1, NO_LABEL, NO_LABEL]] * 3)
    with pytest.raises(UserError, match='split list .* not found'):
        build_segmentation_set(config, 'val', camvid + '/missing')


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    from mmcae.datasets.demo import make_demo_data
    root = tmp_path_factory.mktemp('patch_tsne')
    make_demo_data(str(root / 'demo'), sets=['scenes'])
    torch.manual_seed(0)
    from mmcae.models import ViT
    vit = perturb(ViT(arch=TINY_VIT, img_size=64, patch_size=8), seed=1)
    checkpoint = root / 'vit.pth'
    torch.save(dict(state_dict=vit.state_dict()), checkpoint)
    config = root / 'tiny_vit.py'
    config.write_text(
        "model = dict(type='mmcae.ViT', arch=dict(embed_dims=32, "
        'num_layers=1, num_heads=2, mlp_hidden_dims=64), img_size=64, '
        "patch_size=8, out_type='featmap')\n")
    return dict(
        root=root,
        data_root=str(root / 'demo' / 'ade20k'),
        checkpoint=str(checkpoint),
        config=str(config))


def test_tool_end_to_end_on_demo_ade20k(demo, tmp_path):
    out_dir = tmp_path / 'out'
    data_config = osp.join(REPO_ROOT, 'configs', '_base_', 'datasets',
                           'demo_ade20k.py')
    result = run_python_tool(
        TOOL, data_config, '--data-root',
        demo['data_root'], '--vit', demo['checkpoint'], 'vit', '--arch',
        json.dumps(TINY_VIT), '--patch-size', '8', '--model', demo['config'],
        'random', 'random', '--img-size', '64', '--max-images', '6',
        '--max-per-class', '12', '--k', '5', '--perplexity', '5',
        '--tsne-iter', '300', '--out-dir', str(out_dir))
    assert result.returncode == 0, result.stderr
    assert 'k-NN top-1' in result.stdout
    assert osp.getsize(out_dir / 'patch_tsne.png') > 0
    record = json.loads((out_dir / 'patch_tsne.json').read_text())
    assert record['num_images'] == 6 and record['threshold'] == 0.5
    assert [m['label'] for m in record['models']] == ['random', 'vit']
    first, second = record['models']
    # the same images, labels and sampling for both (same patch grid)
    assert first['patches_per_class'] == second['patches_per_class']
    for model in record['models']:
        counts = model['patches_per_class']
        assert sum(counts.values()) == model['num_patches'] >= 10
        assert max(counts.values()) <= 12
        assert 0 <= model['knn']['top1'] <= 100
        assert model['knn']['num_query'] > 0
        assert np.isfinite(model['tsne']['kl_divergence'])
        assert model['tsne']['perplexity'] == 5.
    arrays = np.load(out_dir / 'patch_tsne.npz')
    assert arrays['points_1'].shape == (second['num_patches'], 2)
    assert np.isfinite(arrays['points_1']).all()
