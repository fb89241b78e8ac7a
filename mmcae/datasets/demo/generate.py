"""Write the demo datasets in the real datasets' layouts.

``make_demo_data(out, seed, size)`` writes::

    out/imagenet/train/CLASS/*.JPEG, val/*.JPEG, meta/{train,val}.txt,
                 meta/classes.txt
    out/ade20k/images/{training,validation}/*.jpg
    out/ade20k/annotations/{training,validation}/*.png
    out/coco/{train,val}2017/*.jpg
    out/coco/annotations/instances_{train,val}2017.json

so that mmpretrain's ``ImageNet``, mmseg's ``ADE20KDataset`` (with
``reduce_zero_label=True``) and mmdet's ``CocoDataset`` read them unchanged.
The ADE20K and COCO sets show the same scenes. Every image is drawn from its
own seed ``(seed, set, split, index)``: the output is byte-identical for a
seed and independent of generation order.
"""
import json
import os
import os.path as osp
import time
from typing import Dict, List, NamedTuple, Sequence

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from .categories import CATEGORIES, CLASS_NAMES
from .scenes import DrawnObject, draw_scene


class DemoSize(NamedTuple):
    """How many images of which size each set has."""
    cls_size: int  #: classification image side
    cls_train_per_class: int
    cls_val_per_class: int
    scene_size: int  #: segmentation / detection image side
    scene_train: int
    scene_val: int


SIZES: Dict[str, DemoSize] = {
    # CI: seconds
    'small': DemoSize(64, 6, 2, 128, 16, 8),
    # quickstart and GPU experiments: thousands of images
    'medium': DemoSize(224, 300, 50, 320, 1200, 200),
}
_SET_IDS = {'imagenet': 0, 'scenes': 1}
_SPLIT_IDS = {'train': 0, 'val': 1}
JPEG_QUALITY = 92


def _rng(seed: int, dataset: str, split: str,
         index: int) -> np.random.Generator:
    return np.random.default_rng(
        [seed, _SET_IDS[dataset], _SPLIT_IDS[split], index])


def _save_jpeg(pixels: np.ndarray, path: str) -> None:
    Image.fromarray(pixels).save(path, quality=JPEG_QUALITY)


def write_imagenet(root: str, seed: int, size: DemoSize) -> int:
    """Single-label images (one dominant object, small distractors).

    Returns:
        int: the number of images written.
    """
    os.makedirs(osp.join(root, 'meta'), exist_ok=True)
    with open(osp.join(root, 'meta', 'classes.txt'), 'w') as f:
        f.write('\n'.join(CLASS_NAMES) + '\n')
    count = 0
    for split, per_class in (('train', size.cls_train_per_class),
                             ('val', size.cls_val_per_class)):
        lines = []
        for index in range(per_class * len(CATEGORIES)):
            label = index % len(CATEGORIES)
            rng = _rng(seed, 'imagenet', split, index)
            pixels, _ = draw_scene(
                rng, size.cls_size, size.cls_size,
                num_objects=int(rng.integers(0, 3)), dominant=label)
            if split == 'train':  # train/CLASS/file, as ImageNet
                name = f'{CLASS_NAMES[label]}/{CLASS_NAMES[label]}_' \
                       f'{index:06d}.JPEG'
            else:  # a flat val folder, as ImageNet
                name = f'demo_val_{index:08d}.JPEG'
            path = osp.join(root, split, name)
            os.makedirs(osp.dirname(path), exist_ok=True)
            _save_jpeg(pixels, path)
            lines.append(f'{name} {label}')
            count += 1
        with open(osp.join(root, 'meta', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    return count


def segmentation_map(objects: List[DrawnObject], height: int,
                     width: int) -> np.ndarray:
    """ADE20K-style label map: 0 = other, else ADE20K index + 1."""
    labels = np.zeros((height, width), np.uint8)
    for obj in objects:  # visible masks do not overlap
        labels[obj.mask] = CATEGORIES[obj.label].ade20k_index + 1
    return labels


def coco_annotation(obj: DrawnObject, annotation_id: int,
                    image_id: int) -> dict:
    """A COCO instance annotation with a compressed-RLE mask."""
    rle = mask_utils.encode(np.asfortranarray(obj.mask.astype(np.uint8)))
    return dict(
        id=annotation_id,
        image_id=image_id,
        category_id=obj.label + 1,
        segmentation=dict(size=list(rle['size']),
                          counts=rle['counts'].decode('ascii')),
        area=float(obj.area),
        bbox=[float(v) for v in obj.bbox],
        iscrowd=0)


def coco_categories() -> List[dict]:
    return [
        dict(id=i + 1, name=c.name, supercategory='demo shape')
        for i, c in enumerate(CATEGORIES)
    ]


def write_scenes(root: str, seed: int, size: DemoSize) -> int:
    """Multi-object scenes as ADE20K (root/ade20k) and COCO (root/coco).

    Returns:
        int: the number of scenes written.
    """
    count = 0
    for split, total, ade_split, coco_split in (
            ('train', size.scene_train, 'training', 'train2017'),
            ('val', size.scene_val, 'validation', 'val2017')):
        ade_images = osp.join(root, 'ade20k', 'images', ade_split)
        ade_labels = osp.join(root, 'ade20k', 'annotations', ade_split)
        coco_images = osp.join(root, 'coco', coco_split)
        for folder in (ade_images, ade_labels, coco_images):
            os.makedirs(folder, exist_ok=True)
        images, annotations = [], []
        for index in range(total):
            rng = _rng(seed, 'scenes', split, index)
            side = size.scene_size
            pixels, objects = draw_scene(
                rng, side, side, num_objects=int(rng.integers(3, 7)))
            stem = f'demo_{ade_split}_{index:08d}'
            _save_jpeg(pixels, osp.join(ade_images, stem + '.jpg'))
            Image.fromarray(segmentation_map(objects, side, side)).save(
                osp.join(ade_labels, stem + '.png'))
            coco_name = f'{index:012d}.jpg'
            _save_jpeg(pixels, osp.join(coco_images, coco_name))
            image_id = index + 1
            images.append(
                dict(id=image_id, file_name=coco_name, width=side,
                     height=side))
            for obj in objects:
                annotations.append(
                    coco_annotation(obj, len(annotations) + 1, image_id))
            count += 1
        os.makedirs(osp.join(root, 'coco', 'annotations'), exist_ok=True)
        with open(
                osp.join(root, 'coco', 'annotations',
                         f'instances_{coco_split}.json'), 'w') as f:
            json.dump(
                dict(images=images, annotations=annotations,
                     categories=coco_categories()), f, sort_keys=True)
    return count


#: the sets make_demo_data can write (the scenes are ADE20K and COCO)
DEMO_SETS = ('imagenet', 'scenes')


def _stamp_path(out: str, demo_set: str) -> str:
    return osp.join(out, f'.{demo_set}.done.json')


def demo_set_complete(out: str, demo_set: str, seed: int = 0,
                      size: str = 'small') -> bool:
    """Whether ``out`` holds a COMPLETE ``demo_set`` of this seed and size.

    :func:`make_demo_data` writes a stamp file after the last image of a
    set, so an interrupted generation is not mistaken for a finished one.
    """
    path = _stamp_path(out, demo_set)
    if not osp.isfile(path):
        return False
    with open(path) as f:
        stamp = json.load(f)
    return stamp.get('seed') == seed and stamp.get('size') == size


def make_demo_data(out: str = 'data/demo',
                   seed: int = 0,
                   size: str = 'small',
                   sets: Sequence[str] = DEMO_SETS) -> Dict[str, float]:
    """Write the demo datasets under ``out``.

    Args:
        out (str): output folder.
        seed (int): the seed; same seed, same bytes.
        size (str): 'small' (CI) or 'medium' (quickstart).
        sets (Sequence[str]): which of ``'imagenet'`` and ``'scenes'``
            (ADE20K + COCO) to write; each image has its own seed, so
            writing them in separate processes gives the same bytes.

    Returns:
        dict: images written per set and the seconds it took.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, got {size!r}")
    unknown = sorted(set(sets) - set(DEMO_SETS))
    if unknown:
        raise ValueError(f'unknown demo sets {unknown}; choose from '
                         f'{list(DEMO_SETS)}')
    start = time.perf_counter()
    report = dict(imagenet_images=0, scenes=0)
    if 'imagenet' in sets:
        report['imagenet_images'] = write_imagenet(
            osp.join(out, 'imagenet'), seed, SIZES[size])
    if 'scenes' in sets:
        report['scenes'] = write_scenes(out, seed, SIZES[size])
    for demo_set in sets:
        with open(_stamp_path(out, demo_set), 'w') as f:
            json.dump(dict(seed=seed, size=size), f)
    report['seconds'] = round(time.perf_counter() - start, 2)
    return report
