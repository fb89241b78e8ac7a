"""The model index: every metafile entry against its config, the metric
keys against the real metric classes, and model_zoo.md and the READMEs'
paper-number tables up to date."""
import functools
import math
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmcae.utils.errors import UserError
from mmcae.utils.model_zoo import (TASKS, evaluator_metric_keys,
                                   load_model_index, paper_results,
                                   paper_tables, to_percent)
from mmcae.utils.model_zoo_docs import update_model_zoo

from tests.helpers import REPO_ROOT

MODELS = load_model_index()
DATASETS = ('ImageNet-1k', 'ADE20K', 'COCO', 'CIFAR-10', 'CamVid')
TABLE_ID = re.compile(r'^(cae-arxiv|cae-ijcv|ccmim|unissl)-\d+$')


def test_index_imports_every_method_and_has_entries():
    metafiles = {entry['Metafile'] for entry in MODELS.values()}
    assert 'configs/cae/metafile.yml' in metafiles
    for method in ('cae', 'ccmim', 'unissl'):
        assert osp.isfile(osp.join(REPO_ROOT, 'configs', method,
                                   'metafile.yml'))
    assert len(MODELS) >= 30
    # the tables collect_results can print
    assert {'cae-arxiv-1', 'cae-arxiv-3', 'cae-arxiv-4'} <= set(
        paper_tables(MODELS))


@functools.lru_cache(maxsize=None)
def _config(path: str) -> Config:
    """Each config parsed once: entries that share a config (one per
    encoder) only read it."""
    return Config.fromfile(path)


@pytest.mark.parametrize('name', sorted(MODELS))
def test_entry_matches_its_config(name):
    check_entry(name, MODELS[name], MODELS)


def check_weights(name: str, weights) -> None:
    """``Weights``: null, a URL, or a local file's mapping (name with the
    sha256 prefix publish_model.py gives it, sha256, bytes, command)."""
    if weights is None or isinstance(weights, str):
        return
    assert {'Name', 'SHA256', 'Bytes', 'Command'} <= set(weights), name
    assert re.fullmatch(r'[0-9a-f]{64}', weights['SHA256']), name
    assert weights['Name'].endswith(f'-{weights["SHA256"][:8]}.pth'), name
    assert weights['Bytes'] > 0, name
    assert 'tools/model_converters/publish_model.py' in weights['Command']
    assert not re.search(r'(^| )/', weights['Command']), (
        f'{name}: an absolute path in {weights["Command"]}')


def check_ours(name: str, results: list, keys: set) -> None:
    """``Ours`` results: metric keys the run logs (its evaluator's, or
    ``knn/top1`` of knn_eval.py), percentages, the mean of the per-seed
    values when several seeds ran, a log each."""
    assert results, name
    for result in results:
        assert result['Task'] in TASKS and result['Dataset'] in DATASETS
        seeds = result.get('Seeds') or [None]
        logs = result['Log'] if isinstance(result['Log'], list) else [
            result['Log']]
        assert len(logs) == len(seeds) and all(logs), name
        for metric, value in result['Metrics'].items():
            assert metric in keys | {'knn/top1'}, (
                f'{name}: {metric!r} is not a key of its evaluator '
                f'({sorted(keys)})')
            assert 0 < value <= 100
            if len(seeds) > 1:
                values = result['Values'][metric]
                assert len(values) == len(seeds)
                assert value == pytest.approx(np.mean(values), abs=0.006)
                assert result['Std'][metric] == pytest.approx(
                    np.std(values, ddof=1), abs=0.006)


def check_entry(name: str, entry: dict, models: dict) -> None:
    """A metafile entry against its config (the metafile conventions of
    mmcae.utils.model_zoo)."""
    config = osp.join(REPO_ROOT, entry['Config'])
    assert osp.isfile(config), f'{name}: {config} does not exist'
    cfg = _config(config)
    metadata = entry['Metadata']
    assert metadata['Parameters'] > 0 and metadata['FLOPs'] > 0
    check_weights(name, entry.get('Weights'))
    results = entry['Results']
    if results is None and not entry.get('Ours'):  # a pretraining config
        assert cfg.get('val_evaluator') is None
        assert metadata['Epochs'] == cfg.train_cfg.max_epochs
        return
    keys = evaluator_metric_keys(cfg.val_evaluator)
    if results is None:  # measured by mmcae only (no paper has the row)
        check_ours(name, entry['Ours'], keys)
    else:
        assert results, name
    for result in results or []:
        assert result['Task'] in TASKS and result['Dataset'] in DATASETS
        for metric, value in result['Metrics'].items():
            assert metric in keys, (f'{name}: {metric!r} is not a key of '
                                    f'its evaluator ({sorted(keys)})')
            assert 0 < value <= 100
        paper = result['Paper']
        assert TABLE_ID.match(paper['Table']), paper
        assert {'Method', 'Arch', 'Epochs', 'Column'} <= set(paper)
    # the encoder the row needs: the config's own or a --cfg-options one;
    # none for a from-scratch row (Uni-SSL Table 2 "Random Init", or
    # --cfg-options model.backbone.init_cfg=None)
    checkpoint = metadata.get('Encoder Checkpoint')
    if checkpoint is None:
        assert (cfg.model.backbone.get('init_cfg') is None
                or 'model.backbone.init_cfg=None' in metadata.get(
                    'Cfg Options', [])), name
        assert 'Pretrained' not in metadata, name
    else:
        assert checkpoint.startswith(('weights/', 'work_dirs/')) and \
            checkpoint.endswith('.pth')
    if checkpoint and checkpoint.startswith('work_dirs/'):
        # a local file: the one its pretraining entry publishes
        weights = models[metadata['Pretrained']]['Weights']
        assert isinstance(weights, dict), name
        assert osp.basename(checkpoint) == weights['Name'], name
    if metadata.get('Pretrained'):
        pretrained = models[metadata['Pretrained']]
        assert pretrained['Results'] is None
        assert pretrained['Metadata']['Epochs'] == metadata['Pretrain Epochs']
    if 'Iterations' in metadata:
        assert metadata['Iterations'] == cfg.train_cfg.max_iters
    else:
        assert metadata['Epochs'] == cfg.train_cfg.max_epochs


def test_entries_sharing_a_config_differ_in_their_encoder():
    by_config = {}
    for name, entry in MODELS.items():
        by_config.setdefault(entry['Config'], []).append(name)
    for config, names in by_config.items():
        checkpoints = [
            MODELS[n]['Metadata'].get('Encoder Checkpoint') for n in names
        ]
        assert len(set(checkpoints)) == len(names), (config, names)


def test_paper_numbers_are_the_papers():
    """A few cells checked against the paper text."""
    cells = {(r['table'], r['arch'], r['epochs'], r['column']): r['value']
             for r in paper_results(MODELS)}
    assert cells[('cae-arxiv-1', 'ViT-B', 300, 'LIN')] == 64.2
    assert cells[('cae-arxiv-1', 'ViT-B', 800, 'ATT')] == 76.0
    assert cells[('cae-arxiv-3', 'ViT-B', 800, 'mIoU')] == 48.8
    assert cells[('cae-arxiv-4', 'ViT-S', 300, 'AP^m')] == 39.0
    assert cells[('cae-arxiv-5', 'ViT-B', 800, 'AP^b')] == 52.3
    # ccMIM Sec. 1: "83.6%, 84.2% top-1 accuracy with 300 and 800 epochs"
    assert cells[('ccmim-1', 'ViT-B', 300, 'FT')] == 83.6
    assert cells[('ccmim-1', 'ViT-B', 800, 'FT')] == 84.2


def test_parameters_equal_the_built_model():
    from mmcae.analysis import build_model
    name = 'vit-base-p16_linear-probe_16xb1024-lars-90e_in1k_cae-arxiv-300e'
    cfg = Config.fromfile(osp.join(REPO_ROOT, MODELS[name]['Config']))
    model = build_model(cfg, random_init=False)
    assert MODELS[name]['Metadata']['Parameters'] == sum(
        p.numel() for p in model.parameters())


def test_metric_keys_are_what_the_metrics_log(tmp_path):
    """evaluator_metric_keys against the three real metric classes."""
    from mmdet.evaluation import CocoMetric
    from mmpretrain.evaluation import Accuracy
    from mmseg.evaluation import IoUMetric

    accuracy = Accuracy(topk=(1, 5))
    accuracy.process([], [
        dict(pred_score=torch.softmax(torch.randn(10), 0),
             gt_label=torch.tensor([i % 10])) for i in range(6)
    ])
    assert set(accuracy.evaluate(6)) == evaluator_metric_keys(
        dict(type='Accuracy', topk=(1, 5)))

    iou = IoUMetric(iou_metrics=['mIoU'])
    iou.dataset_meta = dict(classes=('a', 'b'))
    label = torch.tensor([[0, 1], [1, 1]])
    iou.process([], [
        dict(pred_sem_seg=dict(data=label[None]),
             gt_sem_seg=dict(data=label[None]))
    ])
    logged = set(iou.evaluate(1))
    assert logged == evaluator_metric_keys(
        dict(type='IoUMetric', iou_metrics=['mIoU']))

    from mmcae.datasets.demo import make_demo_data
    make_demo_data(str(tmp_path), size='small', sets=['scenes'])
    ann_file = str(tmp_path / 'coco' / 'annotations' /
                   'instances_val2017.json')
    coco = CocoMetric(ann_file=ann_file, metric=['bbox', 'segm'])
    from pycocotools.coco import COCO
    from pycocotools import mask as mask_utils
    api = COCO(ann_file)
    coco.dataset_meta = dict(
        classes=[c['name'] for c in api.loadCats(api.getCatIds())])
    samples = []
    for image_id in api.getImgIds():
        anns = api.loadAnns(api.getAnnIds(imgIds=image_id))
        info = api.loadImgs(image_id)[0]
        boxes = torch.tensor([[a['bbox'][0], a['bbox'][1],
                               a['bbox'][0] + a['bbox'][2],
                               a['bbox'][1] + a['bbox'][3]] for a in anns])
        masks = np.stack([api.annToMask(a) for a in anns]).astype(bool)
        samples.append(
            dict(img_id=image_id, ori_shape=(info['height'], info['width']),
                 pred_instances=dict(
                     bboxes=boxes, scores=torch.ones(len(anns)),
                     labels=torch.tensor([
                         api.getCatIds().index(a['category_id'])
                         for a in anns
                     ]),
                     masks=torch.from_numpy(masks))))
    del mask_utils
    coco.process([], samples)
    logged = set(coco.evaluate(len(samples)))
    expected = evaluator_metric_keys(
        dict(type='CocoMetric', metric=['bbox', 'segm']))
    assert expected <= logged, expected - logged
    assert to_percent('coco/bbox_mAP', 0.48) == pytest.approx(48.0)
    assert to_percent('mIoU', 47.7) == 47.7
    assert math.isnan(to_percent('mIoU', None))
    with pytest.raises(UserError, match='unknown metric type'):
        evaluator_metric_keys(dict(type='CityscapesMetric'))


def test_model_zoo_md_is_generated_from_the_metafiles(capsys):
    """model_zoo.md and the paper-number tables of configs/{cae,ccmim,
    unissl}/README.md are what .dev_scripts/gen_model_zoo.py writes."""
    status = update_model_zoo(check=True)
    out = capsys.readouterr()
    assert status == 0, out.out + out.err
    for method in ('cae', 'ccmim', 'unissl', 'benchmarks'):
        assert f'configs/{method}/README.md' in out.out


def test_model_zoo_lists_headline_configs_lr_notes_and_external_weights():
    """model_zoo.md (issue 21): the two headline configs with a labelled
    expected number, the metafile's lr-search notes, external checkpoints
    beside ours (also in docs/weights.md); no bare 'see paper' cell and no
    path outside the repository in the docs."""
    with open(osp.join(REPO_ROOT, 'model_zoo.md')) as f:
        zoo = f.read()
    for config in ('configs/cae/vitb_upernet_ade20k.py',
                   'configs/cae/vitb_mask-rcnn_1x_coco.py'):
        row = next(line for line in zoo.splitlines()
                   if f']({config})' in line)
        assert 'official code:' in row, row
    assert 'best of lrs 3e-4, 4e-4 (other lrs: `--cfg-options ' in zoo
    assert ('not published yet; external: [CAE-base 300 ep (official)]'
            in zoo)
    assert 'cae_vit-base-p16_8xb256-amp-coslr-300e_in1k_20221230-808170f3' \
        in zoo
    docs = ['README.md', 'model_zoo.md', 'docs/datasets.md',
            'docs/weights.md'] + [
                f'configs/{m}/README.md'
                for m in ('cae', 'ccmim', 'unissl', 'benchmarks')]
    for doc in docs:
        with open(osp.join(REPO_ROOT, doc)) as f:
            text = f.read()
        for banned in ('see paper', 'shared/papers', 'our copy',
                       'project workspace', "text copy"):
            assert banned not in text, (doc, banned)


def _github_anchor(heading: str) -> str:
    """GitHub's anchor of a markdown heading."""
    text = re.sub(r'[^\w\- ]', '', heading.strip().lower())
    return text.replace(' ', '-')


def test_doc_links_resolve():
    """Relative links (and #anchors) of README.md, model_zoo.md and docs/
    point at files and headings that exist."""
    docs = ['README.md', 'model_zoo.md', 'docs/datasets.md',
            'docs/weights.md'] + [
                f'configs/{m}/README.md'
                for m in ('cae', 'ccmim', 'unissl', 'benchmarks')]
    anchors = {}
    for doc in docs:
        with open(osp.join(REPO_ROOT, doc)) as f:
            anchors[doc] = {
                _github_anchor(line.lstrip('#'))
                for line in f if re.match(r'#{1,6} ', line)}
    broken = []
    for doc in docs:
        with open(osp.join(REPO_ROOT, doc)) as f:
            text = f.read()
        for target in re.findall(r'\]\(([^)\s]+)\)', text):
            if re.match(r'[a-z]+://', target):
                continue
            path, _, anchor = target.partition('#')
            path = osp.normpath(osp.join(osp.dirname(doc), path)) \
                if path else doc
            if not osp.exists(osp.join(REPO_ROOT, path)):
                broken.append(f'{doc}: {target} (no file)')
            elif anchor and path in anchors and anchor not in anchors[path]:
                broken.append(f'{doc}: {target} (no heading)')
    assert not broken, broken
