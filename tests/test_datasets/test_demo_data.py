"""The demo datasets: deterministic bytes, labels that match the drawing,
and the real dataset classes read them."""
import filecmp
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from mmcae.datasets.demo import CATEGORIES, CLASS_NAMES, SIZES, make_demo_data
from mmcae.datasets.demo.generate import _rng
from mmcae.datasets.demo.scenes import draw_scene

from tests.helpers import run_python_tool

SMALL = SIZES['small']


@pytest.fixture(scope='module')
def demo(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('demo'))
    report = make_demo_data(root, seed=0, size='small')
    assert report['imagenet_images'] == 8 * (SMALL.cls_train_per_class +
                                             SMALL.cls_val_per_class)
    assert report['scenes'] == SMALL.scene_train + SMALL.scene_val
    return root


def _all_files(root):
    return sorted(
        osp.relpath(osp.join(folder, name), root)
        for folder, _, names in os.walk(root) for name in names)


@pytest.fixture(scope='module')
def written_apart(tmp_path_factory):
    """The two sets written by separate tool runs, as the quickstart writes
    them in parallel processes (with the default seed, 0); returns the root
    and whether each set was stamped complete (for seed 0 and 'small', for
    seed 1, for 'medium') before and after its run."""
    from mmcae.datasets.demo import demo_set_complete
    apart = str(tmp_path_factory.mktemp('apart'))
    stamps = {}
    for demo_set in ('scenes', 'imagenet'):
        before = demo_set_complete(apart, demo_set, 0, 'small')
        result = run_python_tool('tools/misc/make_demo_data.py', '--out',
                                 apart, '--size', 'small', '--sets',
                                 demo_set)
        assert result.returncode == 0, result.stderr[-2000:]
        stamps[demo_set] = dict(
            before=before,
            after=demo_set_complete(apart, demo_set, 0, 'small'),
            other_seed=demo_set_complete(apart, demo_set, 1, 'small'),
            other_size=demo_set_complete(apart, demo_set, 0, 'medium'))
    return apart, stamps


def test_same_seed_same_bytes_other_seed_differs(demo, written_apart,
                                                 tmp_path):
    # the tool's seed-0 sets (another process) against make_demo_data's
    again, _ = written_apart
    files = _all_files(demo)
    assert files == _all_files(again) and len(files) > 100
    _, mismatch, errors = filecmp.cmpfiles(demo, again, files, shallow=False)
    assert mismatch == [] and errors == []

    other = str(tmp_path / 'other')
    make_demo_data(other, seed=1, size='small')
    _, mismatch, _ = filecmp.cmpfiles(demo, other, files, shallow=False)
    images = [f for f in files if f.endswith(('.jpg', '.JPEG', '.png'))]
    assert set(images) <= set(mismatch)


def test_sets_written_apart_are_the_same_bytes_and_stamped(
        demo, written_apart):
    """The quickstart writes the two sets in parallel processes: the same
    bytes as one call, and a stamp that says each set is complete."""
    apart, stamps = written_apart
    for demo_set in ('scenes', 'imagenet'):
        assert not stamps[demo_set]['before']
        assert stamps[demo_set]['after']
        assert not stamps[demo_set]['other_seed']
        assert not stamps[demo_set]['other_size']
    files = _all_files(demo)
    assert _all_files(apart) == files
    _, mismatch, errors = filecmp.cmpfiles(demo, apart, files, shallow=False)
    assert mismatch == [] and errors == []
    # a complete set is left alone (no file is rewritten)
    probe = osp.join(apart, 'imagenet', 'meta', 'train.txt')
    mtime = os.stat(probe).st_mtime
    os.utime(probe, (0, 0))
    try:
        result = run_python_tool('tools/misc/make_demo_data.py', '--out',
                                 apart, '--size', 'small', '--skip-complete')
        assert result.returncode == 0 and 'already complete' in result.stdout
        assert os.stat(probe).st_mtime == 0
    finally:  # the other tests read these sets
        os.utime(probe, (mtime, mtime))
    with pytest.raises(ValueError, match='unknown demo sets'):
        make_demo_data(apart, sets=['imagenet', 'cityscapes'])


def _scene(split_index, split='train'):
    rng = _rng(0, 'scenes', split, split_index)
    return draw_scene(rng, SMALL.scene_size, SMALL.scene_size,
                      num_objects=int(rng.integers(3, 7)))


@pytest.mark.parametrize('index', [0, 3, 7])
def test_segmentation_and_coco_masks_match_the_drawn_objects(demo, index):
    pixels, objects = _scene(index)
    assert len(objects) >= 2
    stem = f'demo_training_{index:08d}'
    labels = np.array(
        Image.open(osp.join(demo, 'ade20k', 'annotations', 'training',
                            stem + '.png')))
    covered = np.zeros_like(labels, dtype=bool)
    for obj in objects:
        # every visible pixel of the object carries its ADE20K id + 1
        assert (labels[obj.mask] ==
                CATEGORIES[obj.label].ade20k_index + 1).all()
        covered |= obj.mask
    assert (labels[~covered] == 0).all()

    with open(osp.join(demo, 'coco', 'annotations',
                       'instances_train2017.json')) as f:
        coco = json.load(f)
    annotations = [a for a in coco['annotations']
                   if a['image_id'] == index + 1]
    assert len(annotations) == len(objects)
    for ann, obj in zip(annotations, objects):
        decoded = mask_utils.decode(ann['segmentation']).astype(bool)
        iou = (decoded & obj.mask).sum() / (decoded | obj.mask).sum()
        assert iou > 0.95
        assert ann['category_id'] == obj.label + 1
        assert ann['area'] == obj.mask.sum()
        x, y, w, h = ann['bbox']
        rows, cols = np.nonzero(obj.mask)
        assert (x, y, w, h) == (cols.min(), rows.min(),
                                cols.max() - cols.min() + 1,
                                rows.max() - rows.min() + 1)
    # the COCO image is the drawn image (JPEG-compressed)
    image = np.asarray(Image.open(osp.join(demo, 'coco', 'train2017',
                                           f'{index:012d}.jpg')),
                       dtype=np.float64)
    assert np.abs(image - pixels).mean() < 8  # the pixel noise is lossy


def test_cocoeval_of_the_ground_truth_is_perfect(demo, capsys):
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    gt = COCO(osp.join(demo, 'coco', 'annotations', 'instances_val2017.json'))
    detections = [
        dict(image_id=a['image_id'], category_id=a['category_id'],
             bbox=a['bbox'], segmentation=a['segmentation'], score=1.0)
        for a in gt.dataset['annotations']
    ]
    assert len(detections) > 10
    for iou_type in ('bbox', 'segm'):
        evaluator = COCOeval(gt, gt.loadRes(detections), iou_type)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
        assert evaluator.stats[0] == pytest.approx(1.0)  # AP@[.5:.95]
    assert gt.loadCats(gt.getCatIds())[0]['name'] == CLASS_NAMES[0]


def test_mmpretrain_imagenet_reads_the_demo_set(demo):
    from mmpretrain.datasets import ImageNet
    train = ImageNet(data_root=osp.join(demo, 'imagenet'), split='train',
                     metainfo=dict(classes=CLASS_NAMES), pipeline=[])
    val = ImageNet(data_root=osp.join(demo, 'imagenet'), split='val',
                   metainfo=dict(classes=CLASS_NAMES), pipeline=[])
    assert len(train) == 8 * SMALL.cls_train_per_class
    assert len(val) == 8 * SMALL.cls_val_per_class
    labels = [train.get_data_info(i)['gt_label'] for i in range(len(train))]
    assert sorted(set(labels)) == list(range(8))
    info = train.get_data_info(2)
    assert f'/{CLASS_NAMES[info["gt_label"]]}/' in info['img_path']
    # the dominant object is the labelled class: its hue dominates
    # the centre of the image
    image = np.asarray(Image.open(info['img_path']).convert('HSV'),
                       dtype=np.float64)
    centre_hue = np.median(image[24:40, 24:40, 0]) * 360 / 255
    expected = CATEGORIES[info['gt_label']].hue
    assert min(abs(centre_hue - expected), 360 - abs(centre_hue - expected)) \
        < 30


def test_mmseg_ade20k_reads_the_demo_set(demo):
    from mmseg.datasets import ADE20KDataset
    dataset = ADE20KDataset(
        data_root=osp.join(demo, 'ade20k'),
        data_prefix=dict(img_path='images/validation',
                         seg_map_path='annotations/validation'),
        reduce_zero_label=True,
        pipeline=[dict(type='mmseg.LoadImageFromFile'),
                  dict(type='mmseg.LoadAnnotations')])
    assert len(dataset) == SMALL.scene_val
    sample = dataset[0]
    values = set(np.unique(sample['gt_seg_map']).tolist())
    ade_indices = {c.ade20k_index for c in CATEGORIES}
    assert 255 in values and values - {255} <= ade_indices
    assert len(values - {255}) >= 1


def test_mmdet_coco_reads_the_demo_set(demo):
    from mmdet.datasets import CocoDataset
    dataset = CocoDataset(
        data_root=osp.join(demo, 'coco'),
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        metainfo=dict(classes=CLASS_NAMES),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='mmdet.LoadAnnotations', with_bbox=True,
                       with_mask=True)])
    assert len(dataset) == SMALL.scene_train
    sample = dataset[0]
    _, objects = _scene(0)
    assert len(sample['gt_bboxes']) == len(objects)
    assert sample['gt_bboxes_labels'].tolist() == [o.label for o in objects]
    masks = sample['gt_masks'].to_ndarray().astype(bool)
    for mask, obj in zip(masks, objects):
        assert (mask == obj.mask).all()
