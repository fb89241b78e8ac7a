"""A small synthetic model index (model-index.yml + one metafile) and
mmengine-like run directories, for the model-zoo tools' tests.

The metafile follows mmcae's schema (see :mod:`mmcae.utils.model_zoo`):
paper numbers in ``Results`` with their ``Paper`` table cell, pretraining
entries with ``Results: null``, ``Metadata['Encoder Checkpoint']`` telling
apart two entries that share the linear-probe config, an ``Ours`` result
and ``Weights`` on the 300-epoch UperNet entry.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional

import yaml

CKPT_300 = ('work_dirs/cae_vit-base-p16_32xb64-amp-coslr-300e_in1k/'
            'epoch_300.pth')
CKPT_800 = ('work_dirs/cae_vit-base-p16_32xb64-amp-coslr-800e_in1k/'
            'epoch_800.pth')
SEG_300 = ('configs/cae/upernet_cae-vit-base-p16-300e_8xb2-amp-160k-lr3e-4_'
           'ade20k-512x512.py')
SEG_800 = ('configs/cae/upernet_cae-vit-base-p16-800e_8xb2-amp-160k-lr2e-4_'
           'ade20k-512x512.py')
DET_300 = 'configs/cae/mask-rcnn_cae-vit-base-p16-300e_8xb4-amp-1x_coco.py'
LINEAR = ('configs/cae/benchmarks/vit-base-p16_linear-probe_16xb1024-lars-'
          '90e_in1k.py')
ATTENTIVE = ('configs/cae/benchmarks/vit-base-p16_attentive-probe_8xb1024-'
             'sgd-90e_in1k.py')
DEMO_LINEAR = ('configs/cae/benchmarks/vit-tiny-p8_linear-probe_1xb64-lars-'
               '20e_demo-in1k.py')
WEIGHTS_300 = 'https://example.org/cae_vit-base-p16_300e.pth'
WEIGHTS_SEG = 'https://example.org/upernet_cae_300e.pth'


def _paper(table: str, epochs: int, column: str, arch: str = 'ViT-B',
           method: str = 'CAE') -> dict:
    return dict(Table=table, Method=method, Arch=arch, Epochs=epochs,
                Column=column)


def metafile() -> dict:
    """The synthetic CAE metafile."""
    seg = dict(Task='Semantic Segmentation', Dataset='ADE20K')
    lin = dict(Task='Image Classification', Dataset='ImageNet-1k')
    models = [
        dict(Name='cae_vit-base-p16_300e', In_Collection='CAE',
             Config='configs/cae/cae_vit-base-p16_32xb64-amp-coslr-300e_'
             'in1k.py',
             Metadata=dict(Epochs=300, Parameters=86566888,
                           FLOPs=17581972224),
             Results=None, Weights=WEIGHTS_300),
        dict(Name='cae_vit-base-p16_800e', In_Collection='CAE',
             Config='configs/cae/cae_vit-base-p16_32xb64-amp-coslr-800e_'
             'in1k.py',
             Metadata=dict(Epochs=800, Parameters=86566888,
                           FLOPs=17581972224),
             Results=None),
        dict(Name='upernet_cae_300e', In_Collection='CAE', Config=SEG_300,
             Metadata={'Encoder Checkpoint': CKPT_300},
             Results=[dict(seg, Metrics={'mIoU': 47.7},
                           Paper=_paper('cae-arxiv-3', 300, 'ADE Seg'))],
             Ours=[dict(seg, Metrics={'mIoU': 47.95},
                        Log='work_dirs/upernet_300e')],
             Weights=WEIGHTS_SEG),
        dict(Name='upernet_cae_800e', In_Collection='CAE', Config=SEG_800,
             Metadata={'Encoder Checkpoint': CKPT_800},
             Results=[dict(seg, Metrics={'mIoU': 50.2},
                           Paper=_paper('cae-arxiv-3', 800, 'ADE Seg'))]),
        dict(Name='mask-rcnn_cae_300e', In_Collection='CAE', Config=DET_300,
             Metadata={'Encoder Checkpoint': CKPT_300},
             Results=[
                 dict(Task='Object Detection', Dataset='COCO',
                      Metrics={'coco/bbox_mAP': 48.0},
                      Paper=_paper('cae-arxiv-3', 300, 'COCO AP^b')),
                 dict(Task='Instance Segmentation', Dataset='COCO',
                      Metrics={'coco/segm_mAP': 42.3},
                      Paper=_paper('cae-arxiv-3', 300, 'COCO AP^m')),
             ]),
        dict(Name='linear_cae_300e', In_Collection='CAE', Config=LINEAR,
             Metadata={'Encoder Checkpoint': CKPT_300},
             Results=[dict(lin, Metrics={'accuracy/top1': 64.1},
                           Paper=_paper('cae-arxiv-1', 300, 'LIN'))]),
        dict(Name='linear_cae_800e', In_Collection='CAE', Config=LINEAR,
             Metadata={'Encoder Checkpoint': CKPT_800},
             Results=[dict(lin, Metrics={'accuracy/top1': 68.6},
                           Paper=_paper('cae-arxiv-1', 800, 'LIN'))]),
        dict(Name='attentive_cae_300e', In_Collection='CAE',
             Config=ATTENTIVE,
             Metadata={'Encoder Checkpoint': CKPT_300},
             Results=[dict(lin, Metrics={'accuracy/top1': 73.8},
                           Paper=_paper('cae-arxiv-1', 300, 'ATT'))]),
        dict(Name='linear_demo', In_Collection='CAE', Config=DEMO_LINEAR,
             Results=[dict(Task='Image Classification', Dataset='demo',
                           Metrics={'accuracy/top1': 50.0},
                           Paper=_paper('demo-1', 10, 'LIN',
                                        arch='ViT-T'))]),
    ]
    for model in models:  # YAML key with a space, as mim writes it
        model['In Collection'] = model.pop('In_Collection')
    return dict(
        Collections=[
            dict(Name='CAE',
                 Paper=dict(Title='Context Autoencoder for Self-Supervised '
                            'Representation Learning',
                            URL='https://arxiv.org/abs/2202.03026'),
                 README='configs/cae/README.md')
        ],
        Models=models)


#: the collection's README: text around the generated paper-number table
README = ('# CAE configs\n\nHand-written text.\n\n## Paper numbers\n\n'
          '<!-- metafile-table:start -->\n<!-- metafile-table:end -->\n\n'
          '## After the table\n')


def write_model_index(root: str) -> str:
    """Write ``model-index.yml``, ``configs/cae/metafile.yml`` and the
    collection's ``configs/cae/README.md`` (empty table markers)."""
    os.makedirs(osp.join(root, 'configs', 'cae'), exist_ok=True)
    with open(osp.join(root, 'model-index.yml'), 'w') as f:
        yaml.safe_dump({'Import': ['configs/cae/metafile.yml']}, f)
    with open(osp.join(root, 'configs', 'cae', 'metafile.yml'), 'w') as f:
        yaml.safe_dump(metafile(), f, sort_keys=False)
    with open(osp.join(root, 'configs', 'cae', 'README.md'), 'w') as f:
        f.write(README)
    return root


def dumped_config(checkpoint: Optional[str]) -> str:
    """A config as mmengine's ``Config.dump`` writes it: self-contained
    literals, the backbone's init_cfg naming the encoder checkpoint."""
    init_cfg = ('None' if checkpoint is None else
                f"dict(type='Pretrained', checkpoint='{checkpoint}')")
    return (f"default_scope = 'mmseg'\n"
            f"model = dict(\n    type='EncoderDecoder',\n"
            f"    backbone=dict(\n        type='mmcae.ViT',\n"
            f"        init_cfg={init_cfg}),\n"
            f"    decode_head=dict(type='UPerHead'))\n"
            f"work_dir = 'work_dirs/x'\n")


def make_run(work_dir: str, config: str, checkpoint: Optional[str],
             val_records: List[Dict[str, float]],
             timestamp: str = '20240101_120000',
             test_runs: Optional[Dict[str, Dict[str, float]]] = None
             ) -> str:
    """A work dir laid out as mmengine 0.10.7 writes it.

    A train run: ``WORK_DIR/<config name>.py`` (Runner.dump_config) and
    ``<timestamp>/vis_data/{config.py,scalars.json,<timestamp>.json}``
    (LocalVisBackend; scalars are JSON lines, train records with ``lr`` and
    ``loss``, one record per validation with ``step``). A test run
    (``test_runs``: timestamp -> metrics): ``<timestamp>/vis_data/config.py``
    and ``<timestamp>/<timestamp>.json``, one JSON dict
    (LoggerHook.after_test_epoch).
    """
    text = dumped_config(checkpoint)
    os.makedirs(work_dir, exist_ok=True)
    with open(osp.join(work_dir, osp.basename(config)), 'w') as f:
        f.write(text)
    vis = osp.join(work_dir, timestamp, 'vis_data')
    os.makedirs(vis)
    with open(osp.join(vis, 'config.py'), 'w') as f:
        f.write(text)
    lines = []
    for number, record in enumerate(val_records, 1):
        for step in range(1, 3):
            iteration = (number - 1) * 2 + step
            lines.append(dict(base_lr=0.01, lr=0.01, data_time=0.01,
                              loss=2.0 / iteration, time=0.1, epoch=number,
                              iter=iteration, memory=100, step=iteration))
        lines.append(dict(record, data_time=0.01, time=0.05, step=number))
    for name in ('scalars.json', f'{timestamp}.json'):
        with open(osp.join(vis, name), 'w') as f:
            f.writelines(json.dumps(line) + '\n' for line in lines)
    with open(osp.join(work_dir, timestamp, f'{timestamp}.log'), 'w') as f:
        f.write('log\n')
    for stamp, metrics in (test_runs or {}).items():
        os.makedirs(osp.join(work_dir, stamp, 'vis_data'))
        with open(osp.join(work_dir, stamp, 'vis_data', 'config.py'),
                  'w') as f:
            f.write(text)
        with open(osp.join(work_dir, stamp, f'{stamp}.json'), 'w') as f:
            json.dump(dict(metrics, data_time=0.01, time=0.04), f)
    return work_dir


DEMO_RESULTS = {
    'mode': 'full', 'device': 'cpu', 'total_seconds': 1100.5,
    'pretrain': {'config': 'configs/cae/cae_vit-tiny-p8_1xb32-pixel-10e_'
                 'demo-in1k.py', 'epochs': 12, 'first_loss': 1.23,
                 'last_loss': 0.8, 'seconds': 300.1},
    'rows': [
        {'task': 'Linear probe', 'metric': 'accuracy/top1',
         'unit': 'top-1 %', 'pretrained': 97.2, 'random': 90.1},
        {'task': 'Attentive probe', 'metric': 'accuracy/top1',
         'unit': 'top-1 %', 'pretrained': 96.0, 'random': 91.5},
        {'task': 'UperNet (ADE20K layout)', 'metric': 'mIoU',
         'unit': 'mIoU %', 'pretrained': 60.25, 'random': 55.0},
        {'task': 'Mask R-CNN box (COCO layout)', 'metric': 'coco/bbox_mAP',
         'unit': 'box AP', 'pretrained': 30.0, 'random': 20.5},
        {'task': 'Mask R-CNN mask (COCO layout)',
         'metric': 'coco/segm_mAP', 'unit': 'mask AP', 'pretrained': 28.0,
         'random': float('nan')},
    ]
}
