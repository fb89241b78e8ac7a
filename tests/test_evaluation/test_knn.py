"""Weighted k-NN classification (mmcae.evaluation.knn) on hand-made
features whose answer is known, and the knn_eval tool end to end on a tiny
CIFAR-10-layout image folder."""
import json
import math
import os
import os.path as osp
import runpy

import numpy as np
import pytest
import torch

from mmcae.evaluation import knn_classify
from tests.helpers import REPO_ROOT, perturb

TOOL = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'knn_eval.py')


def unit(angle: float) -> list:
    return [math.cos(angle), math.sin(angle)]


def classify(train, train_labels, test, test_labels, num_classes, **kwargs):
    return knn_classify(
        torch.tensor(train, dtype=torch.float32), torch.tensor(train_labels),
        torch.tensor(test, dtype=torch.float32), torch.tensor(test_labels),
        num_classes, **kwargs)


def test_two_clusters():
    train = [[1., .1], [1., -.1], [2., 0.], [.1, 1.], [-.1, 1.], [0., 3.]]
    result = classify(
        train, [0, 0, 0, 1, 1, 1], [[5., .3], [.2, .9]], [0, 1], 2, k=3)
    assert result['top1'] == 100.0 and result['top5'] == 100.0
    assert result['predictions'].tolist() == [0, 1]
    # the wrong labels: every prediction misses at top-1, top-5 (2 classes)
    # still hits
    wrong = classify(
        train, [0, 0, 0, 1, 1, 1], [[5., .3], [.2, .9]], [1, 0], 2, k=3)
    assert wrong['top1'] == 0.0 and wrong['top5'] == 100.0


@pytest.mark.parametrize('temperature,expected', [(0.07, 0), (0.7, 0),
                                                  (0.72, 1), (1.0, 1)])
def test_temperature_decides_a_split_vote(temperature, expected):
    """k=3 neighbours: one of class 0 at cosine 0.99, two of class 1 at
    0.5. Class 0 wins iff exp(0.99 / T) > 2 exp(0.5 / T), i.e.
    T < 0.49 / ln 2 = 0.7069; a fourth sample (class 0, cosine -1) is not
    among the neighbours."""
    c = 0.99
    train = [[c, math.sqrt(1 - c * c)],
             unit(math.pi / 3),
             unit(-math.pi / 3), [-1., 0.]]
    result = classify(
        train, [0, 1, 1, 0], [[1., 0.]], [0], 2, k=3, temperature=temperature)
    assert result['predictions'].tolist() == [expected]
    assert result['top1'] == (100.0 if expected == 0 else 0.0)


def test_top5_ranks_classes_by_vote():
    """One neighbour per class, at angles 0, 0.1, ..., 0.6 from the test
    feature: the classes rank in that order."""
    order = [3, 1, 4, 0, 6, 2, 5]
    train = [unit(0.1 * i) for i in range(7)]
    test = [[1., 0.]] * 4
    result = classify(train, order, test, [3, 1, 2, 5], 7, k=7)
    assert result['ranked_predictions'].tolist() == [order[:5]] * 4
    # label 3: top-1; 1: rank 2; 2: rank 6 and 5: rank 7 miss top-5
    assert result['top1'] == 25.0 and result['top5'] == 50.0


def test_chunking_and_scale_do_not_change_the_result():
    generator = torch.Generator().manual_seed(0)
    centres = torch.randn(10, 16, generator=generator)
    train_labels = torch.arange(200) % 10
    test_labels = torch.randint(0, 10, (53, ), generator=generator)
    train = centres[train_labels] + torch.randn(200, 16, generator=generator)
    test = centres[test_labels] + torch.randn(53, 16, generator=generator)
    whole = knn_classify(
        train, train_labels, test, test_labels, 10, chunk_size=1000)
    assert 30.0 < whole['top1'] <= 100.0  # the clusters are found
    for chunk_size in (1, 7, 53):
        chunked = knn_classify(
            3 * train,
            train_labels,
            test,
            test_labels,
            10,
            chunk_size=chunk_size)
        assert torch.equal(chunked['ranked_predictions'],
                           whole['ranked_predictions'])
        assert chunked['top1'] == whole['top1']
        assert chunked['top5'] == whole['top5']


def test_ties_are_deterministic():
    """Exact duplicates at the k-th place: the lower training index is
    the neighbour. Equal class votes: the lower class ranks first."""
    duplicate = [0.6, 0.8]
    train = [[1., 0.], duplicate, duplicate]
    first = classify(train, [0, 1, 2], [[1., 0.]], [0], 3, k=2)
    assert first['ranked_predictions'].tolist() == [[0, 1, 2]]
    swapped = classify(train, [0, 2, 1], [[1., 0.]], [0], 3, k=2)
    assert swapped['ranked_predictions'].tolist() == [[0, 2, 1]]
    # two neighbours at cosine 0.8 exactly, of classes 3 and 1
    equal = classify([[.8, .6], [.8, -.6], [-1., 0.]], [3, 1, 0], [[1., 0.]],
                     [1],
                     4,
                     k=2)
    assert equal['predictions'].tolist() == [1]
    # many exact duplicates around the boundary, every run the same
    train = torch.tensor([[1., 0.]] * 30 + [[0., 1.]] * 5)
    labels = torch.arange(35) % 10
    runs = [
        knn_classify(
            train,
            labels,
            torch.tensor([[1., 0.]]),
            torch.tensor([0]),
            10,
            k=20,
            chunk_size=chunk)['ranked_predictions'] for chunk in (1, 4)
    ]
    # neighbours: training indices 0..19, two of each class, equal votes
    assert runs[0].tolist() == runs[1].tolist() == [[0, 1, 2, 3, 4]]


def test_bad_arguments():
    features, labels = torch.randn(5, 4), torch.arange(5) % 2
    with pytest.raises(
            ValueError,
            match='larger than the number of '
            r'training samples \(5\)'):
        knn_classify(features, labels, features, labels, 2, k=6)
    assert knn_classify(
        features, labels, features, labels, 2, k=5)['top5'] == 100.0
    with pytest.raises(ValueError, match='must lie in'):
        knn_classify(features, labels + 1, features, labels, 2, k=1)
    with pytest.raises(ValueError, match='temperature'):
        knn_classify(features, labels, features, labels, 2, k=1, temperature=0)
    with pytest.raises(ValueError, match='dims'):
        knn_classify(features, labels, features[:, :3], labels, 2, k=1)


# ------------------------------------------------------------ end to end
CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog',
           'horse', 'ship', 'truck')


@pytest.fixture(scope='module')
def cifar_folder(tmp_path_factory):
    """CIFAR-10 folder layout: 3 train and 2 test 32x32 JPEGs per class,
    each class a colour with noise; a tiny ViT linear-probe config."""
    from PIL import Image
    root = tmp_path_factory.mktemp('knn')
    rng = np.random.default_rng(0)
    colours = rng.integers(30, 225, (10, 3))
    for split, count in (('train', 3), ('test', 2)):
        for index, name in enumerate(CLASSES):
            os.makedirs(root / 'data' / split / name)
            for i in range(count):
                pixels = np.clip(
                    colours[index] + rng.normal(0, 25, (32, 32, 3)), 0,
                    255).astype(np.uint8)
                Image.fromarray(pixels).save(root / 'data' / split / name /
                                             f'{i:04d}.jpg')
    data = str(root / 'data')
    config = root / 'knn_tiny-vit_cifar10.py'
    config.write_text(f"""
_base_ = [
    '{REPO_ROOT}/configs/_base_/models/vit-base-p16_linear-probe.py',
    '{REPO_ROOT}/configs/_base_/datasets/cifar10_folder.py',
]
model = dict(
    backbone=dict(
        arch=dict(_delete_=True, embed_dims=32, num_layers=1, num_heads=2,
                  mlp_hidden_dims=64),
        img_size=32, patch_size=8, frozen_stages=1, init_cfg=None),
    neck=dict(input_features=32),
    head=dict(num_classes=10, in_channels=32))
train_dataloader = dict(batch_size=4, dataset=dict(data_root='{data}'))
test_dataloader = dict(batch_size=8, dataset=dict(data_root='{data}'))
""")
    return dict(root=root, data=data, config=str(config))


def encoder_checkpoint(cfg, path: str) -> None:
    """A perturbed tiny mmcae.ViT saved with its own keys."""
    from mmcae.analysis.models import build_model
    model = perturb(build_model(cfg, seed=1), seed=1)
    torch.save(dict(state_dict=model.backbone.state_dict()), path)


def features_by_hand(model, data: str, split: str):
    """Decode each file (mmcv, as LoadImageFromFile), normalize with the
    dataset base's mean and std, take the backbone's last output."""
    import mmcv
    mean = torch.tensor([125.307, 122.961, 113.8575]).view(3, 1, 1)
    std = torch.tensor([51.5865, 50.847, 51.255]).view(3, 1, 1)
    features, labels = [], []
    with torch.no_grad():
        for label, name in enumerate(CLASSES):
            folder = osp.join(data, split, name)
            for file in sorted(os.listdir(folder)):
                image = mmcv.imread(osp.join(folder, file))[:, :, ::-1]
                x = torch.from_numpy(image.copy()).permute(2, 0, 1).float()
                x = ((x - mean) / std).unsqueeze(0)
                features.append(model.backbone(x)[-1])
                labels.append(label)
    return torch.cat(features), torch.tensor(labels)


def test_knn_eval_tool_end_to_end(cifar_folder, tmp_path, capsys):
    from mmcae.analysis.models import build_model
    from mmcae.utils.config import load_config
    cfg = load_config(cifar_folder['config'])
    checkpoint = str(tmp_path / 'encoder.pth')
    encoder_checkpoint(cfg, checkpoint)
    tool = runpy.run_path(TOOL)
    out = tmp_path / 'result' / 'knn.json'
    record = tool['main']([
        cifar_folder['config'], '--checkpoint', checkpoint, '--k', '5',
        '--batch-size', '3', '--device', 'cpu', '--out',
        str(out)
    ])
    line = capsys.readouterr().out.strip()
    assert len(line.splitlines()) == 1 and 'top-1' in line
    saved = json.loads(out.read_text())
    assert not osp.exists(str(out) + '.partial')
    assert set(saved) == {
        'top1', 'top5', 'k', 'temperature', 'num_train', 'num_test',
        'feature_dims', 'seconds', 'config', 'checkpoint'
    }
    assert saved == json.loads(json.dumps(record))
    assert (saved['k'], saved['temperature']) == (5, 0.07)
    assert (saved['num_train'], saved['num_test'],
            saved['feature_dims']) == (30, 20, 32)
    assert saved['checkpoint'] == checkpoint
    assert saved['config'] == cifar_folder['config']
    for key in ('top1', 'top5'):
        assert math.isfinite(saved[key]) and 0 <= saved[key] <= 100
    assert saved['top5'] >= saved['top1']
    assert 0 < saved['seconds'] < 60

    # the same numbers from features extracted here, with the encoder
    # loaded here through the same Pretrained init_cfg
    cfg.model.backbone.init_cfg = dict(
        type='Pretrained', checkpoint=checkpoint)
    model = build_model(cfg, seed=5)  # the seed must not matter
    reference = torch.load(checkpoint, weights_only=True)['state_dict']
    for key, value in model.backbone.state_dict().items():
        assert torch.equal(value, reference[key]), key
    train = features_by_hand(model, cifar_folder['data'], 'train')
    test = features_by_hand(model, cifar_folder['data'], 'test')
    expected = knn_classify(*train, *test, 10, k=5)
    assert saved['top1'] == pytest.approx(expected['top1'])
    assert saved['top5'] == pytest.approx(expected['top5'])
    assert saved['top1'] > 10.0  # colours separate the classes


def test_knn_eval_tool_default_out_and_random_encoder(cifar_folder, tmp_path,
                                                      capsys):
    """Without --checkpoint and init_cfg: a random (seeded) encoder;
    the JSON goes to WORK_DIR/knn.json; the config's num_workers."""
    from mmcae.evaluation import evaluate_knn
    tool = runpy.run_path(TOOL)
    work_dir = tmp_path / 'work'
    record = tool['main']([
        cifar_folder['config'], '--work-dir',
        str(work_dir), '--device', 'cpu'
    ])
    saved = json.loads((work_dir / 'knn.json').read_text())
    assert saved['checkpoint'] is None and saved['k'] == 20
    again = evaluate_knn(cifar_folder['config'], k=20, device='cpu')
    assert (again['top1'], again['top5']) == (record['top1'], record['top5'])


def test_knn_eval_tool_bad_input(cifar_folder, tmp_path, capsys):
    from mmcae.utils.cli import run_tool
    main = runpy.run_path(TOOL)['main']

    def error(*argv) -> str:
        assert run_tool(main, list(argv)) == 2
        message = capsys.readouterr().err.strip()
        assert message.count('\n') == 0 and 'Traceback' not in message
        return message

    assert "config file not found: 'missing.py'" in error(
        'missing.py', '--work-dir', str(tmp_path))
    missing = str(tmp_path / 'missing.pth')
    assert f"checkpoint file not found: '{missing}'" in error(
        cifar_folder['config'], '--checkpoint', missing, '--work-dir',
        str(tmp_path))
    assert 'larger than the training set (30 images)' in error(
        cifar_folder['config'], '--k', '31', '--work-dir', str(tmp_path),
        '--num-workers', '0', '--device', 'cpu')
    assert '--k must be >= 1' in error(cifar_folder['config'], '--k', '0')
    assert not os.listdir(tmp_path)  # no JSON for a failed run
