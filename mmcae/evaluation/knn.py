"""Weighted k-NN classification of frozen features (DINO, Caron et al.
2021, Sec. 4.1 and Appendix; the protocol of the official ``eval_knn.py``,
after Wu et al. 2018).

Every feature is L2-normalized; a test sample's k (20) nearest training
features by cosine similarity ``s_i`` each vote for their class with the
weight ``exp(s_i / T)`` (T = 0.07); classes are ranked by their summed
votes, which gives top-1 and top-5 accuracy. Nothing is trained, so the
number measures the encoder alone (no learning rate, no schedule).

Why not a library:

* mmpretrain 1.x has no k-NN classification metric or model (its
  ``ImageToImageRetriever`` ranks a gallery by similarity, with no vote
  and no accuracy); mmselfsup 0.x/1.x had one, but mmselfsup is archived
  and built for mmcls, not for the mmpretrain it was merged into.
* scikit-learn's ``KNeighborsClassifier`` knows only 'uniform' and
  'distance' (inverse distance) weights; the temperature vote would need a
  callable on cosine distances, and it runs on NumPy (no GPU for 50k x
  10k similarities). (scikit-learn is a dependency for its t-SNE alone,
  ``mmcae.analysis.patch_tsne``, whose k-NN number comes from here.)

The classification itself is a few lines of torch (chunked matrix
products and ``topk``), written here with explicit tie rules so that the
result is the same on every run and for every chunk size.
"""
import copy
import os.path as osp
import time
from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import nn

from mmcae.utils.errors import UserError


def _check_inputs(train_features: torch.Tensor, train_labels: torch.Tensor,
                  test_features: torch.Tensor, test_labels: torch.Tensor,
                  num_classes: int, k: int, temperature: float,
                  chunk_size: int) -> None:
    if train_features.dim() != 2 or test_features.dim() != 2:
        raise ValueError('features must be 2-d (num_samples, dims); got train '
                         f'{tuple(train_features.shape)}, test '
                         f'{tuple(test_features.shape)}')
    if train_features.shape[1] != test_features.shape[1]:
        raise ValueError(
            f'train features have {train_features.shape[1]} dims, test '
            f'features {test_features.shape[1]}')
    for name, feats, labels in (('train', train_features, train_labels),
                                ('test', test_features, test_labels)):
        if labels.dim() != 1 or labels.shape[0] != feats.shape[0]:
            raise ValueError(
                f'{name}_labels must be 1-d with one label per feature; '
                f'got {tuple(labels.shape)} for {feats.shape[0]} features')
        if labels.numel() and (int(labels.min()) < 0
                               or int(labels.max()) >= num_classes):
            raise ValueError(
                f'{name}_labels must lie in [0, {num_classes}); got '
                f'[{int(labels.min())}, {int(labels.max())}]')
        if not torch.isfinite(feats).all():
            raise ValueError(f'{name} features contain NaN or inf')
    if train_features.shape[0] == 0:
        raise ValueError('there are no training features')
    if k < 1:
        raise ValueError(f'k must be >= 1, got {k}')
    if k > train_features.shape[0]:
        raise ValueError(
            f'k={k} is larger than the number of training samples '
            f'({train_features.shape[0]}); use k <= '
            f'{train_features.shape[0]}')
    if not temperature > 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    if chunk_size < 1:
        raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')


def _nearest(similarity: torch.Tensor,
             k: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """The k largest similarities of each row and their column indices.

    ``topk`` does not say which of equal values it keeps. The vote depends
    only on the set of neighbours, which is ambiguous only when the k-th
    and the (k+1)-th similarity are equal (exact duplicates); those rows
    are ranked again by a stable sort, so that the lower training index
    wins.
    """
    num_train = similarity.shape[1]
    values, indices = similarity.topk(min(k + 1, num_train), dim=1)
    if num_train > k:
        tied = (values[:, k - 1] == values[:, k]).nonzero().squeeze(1)
        if tied.numel():
            order = torch.sort(
                similarity[tied], dim=1, descending=True,
                stable=True).indices[:, :k]
            indices[tied, :k] = order
            values[tied, :k] = similarity[tied].gather(1, order)
    return values[:, :k], indices[:, :k]


def knn_classify(train_features: torch.Tensor,
                 train_labels: torch.Tensor,
                 test_features: torch.Tensor,
                 test_labels: torch.Tensor,
                 num_classes: int,
                 k: int = 20,
                 temperature: float = 0.07,
                 chunk_size: int = 256) -> Dict:
    """Classify ``test_features`` by a temperature-weighted vote of their
    k nearest ``train_features`` (cosine similarity).

    A neighbour with similarity ``s`` votes with ``exp(s / T)``; the
    weights are computed as ``exp((s - s_max) / T)`` with ``s_max`` the
    row's largest similarity, the same ranking without overflow for a
    small T. Ties: among equally similar training samples the lower index
    is the nearer (:func:`_nearest`); among classes with equal votes the
    lower class index ranks first.

    Args:
        train_features (Tensor): (num_train, dims); need not be normalized.
        train_labels (Tensor): (num_train,) class indices.
        test_features (Tensor): (num_test, dims).
        test_labels (Tensor): (num_test,) class indices.
        num_classes (int): the number of classes.
        k (int): neighbours per test sample. Defaults to 20.
        temperature (float): T of the vote weights. Defaults to 0.07.
        chunk_size (int): test samples per similarity matrix; memory is
            about ``chunk_size * num_train * 4`` bytes. Defaults to 256.

    Returns:
        dict: ``top1`` and ``top5`` (float, percent of the test samples;
        top-5 counts a hit among the min(5, num_classes) best classes),
        ``predictions`` (LongTensor (num_test,), the top-1 class) and
        ``ranked_predictions`` (LongTensor (num_test, min(5,
        num_classes))), on the CPU. The computation runs on the device of
        ``train_features``.

    Raises:
        ValueError: mismatched shapes, labels outside ``[0,
            num_classes)``, non-finite features, ``k`` < 1 or larger than
            the training set, ``temperature`` <= 0.
    """
    _check_inputs(train_features, train_labels, test_features, test_labels,
                  num_classes, k, temperature, chunk_size)
    device = train_features.device
    train = F.normalize(train_features.float(), dim=1)
    test = F.normalize(test_features.float().to(device), dim=1)
    train_labels = train_labels.to(device).long()
    test_labels = test_labels.to(device).long()
    num_ranked = min(5, num_classes)
    ranked = []
    for start in range(0, test.shape[0], chunk_size):
        similarity = test[start:start + chunk_size] @ train.T
        neighbour_sims, neighbour_indices = _nearest(similarity, k)
        weights = ((neighbour_sims - neighbour_sims[:, :1]) /
                   temperature).exp()  # (chunk, k); sorted, so [:, 0] max
        one_hot = F.one_hot(train_labels[neighbour_indices], num_classes)
        votes = (one_hot.to(weights.dtype) * weights.unsqueeze(2)).sum(1)
        ranked.append(
            torch.sort(votes, dim=1, descending=True,
                       stable=True).indices[:, :num_ranked])
    ranked = torch.cat(ranked) if ranked else torch.zeros(
        0, num_ranked, dtype=torch.long, device=device)
    hits = ranked == test_labels.unsqueeze(1)
    num_test = max(test.shape[0], 1)
    return dict(
        top1=100.0 * hits[:, 0].sum().item() / num_test,
        top5=100.0 * hits.any(1).sum().item() / num_test,
        predictions=ranked[:, 0].cpu(),
        ranked_predictions=ranked.cpu())


def extract_features(model: nn.Module,
                     dataloader) -> Tuple[torch.Tensor, torch.Tensor]:
    """Features and labels of every sample of ``dataloader``, in its order.

    Each batch goes through ``model.data_preprocessor`` and then
    ``model.extract_feat(inputs, stage='backbone')`` (mmpretrain's
    ``ImageClassifier``: the backbone's output, a tuple with one entry per
    ``out_indices``; the last is taken). For an ``mmcae.ViT`` with
    ``out_type='cls_token'`` that is the [CLS] token after the final norm,
    the feature the linear probe reads. Runs in eval mode under
    ``torch.no_grad`` on the model's device.

    Args:
        model (nn.Module): an mmpretrain ``ImageClassifier`` (or any model
            with a ``data_preprocessor`` and that ``extract_feat``).
        dataloader (Iterable): batches as mmengine's dataloaders give them
            (``inputs`` and ``data_samples`` with ``gt_label``).

    Returns:
        tuple[Tensor, Tensor]: float32 features (num_samples, dims) and
        long labels (num_samples,), on the CPU.

    Raises:
        UserError: the backbone's output is not one vector per image, or
            a sample has no label.
    """
    model.eval()
    features, labels = [], []
    with torch.no_grad():
        for batch in dataloader:
            data = model.data_preprocessor(batch, False)
            output = model.extract_feat(data['inputs'], stage='backbone')
            if isinstance(output, (tuple, list)):
                output = output[-1]
            if not torch.is_tensor(output) or output.dim() != 2:
                shape = tuple(output.shape) if torch.is_tensor(output) \
                    else type(output).__name__
                raise UserError(
                    f'k-NN needs one feature vector per image, but the '
                    f'backbone gives {shape}; set the backbone\'s out_type '
                    "to 'cls_token' or 'avg_featmap'")
            samples = data.get('data_samples') or []
            if len(samples) != output.shape[0] or any('gt_label' not in sample
                                                      for sample in samples):
                raise UserError('k-NN needs a class label for every image; '
                                'the dataset gives none')
            features.append(output.float().cpu())
            labels.append(
                torch.stack([
                    sample.gt_label.reshape(-1)[0] for sample in samples
                ]).long().cpu())
    if not features:
        raise UserError('k-NN: the dataset is empty')
    return torch.cat(features), torch.cat(labels)


def _loader_cfg(cfg, split: str, pipeline, batch_size: Optional[int],
                num_workers: Optional[int]) -> dict:
    """``<split>_dataloader`` of the config, in order (no shuffle), with
    ``pipeline`` (the test pipeline) and no persistent workers."""
    key = f'{split}_dataloader'
    loader = cfg.get(key)
    if not isinstance(loader, dict) or loader.get('dataset') is None:
        raise UserError(f"config '{cfg.filename}' has no {key} with a "
                        'dataset')
    loader = copy.deepcopy(loader)
    dataset = loader['dataset']
    if 'pipeline' not in dataset:
        raise UserError(
            f"config '{cfg.filename}': {key}.dataset "
            f"({dataset.get('type')}) has no pipeline to replace by the "
            'test pipeline (a dataset wrapper is not supported)')
    dataset['pipeline'] = copy.deepcopy(pipeline)
    loader['sampler'] = dict(type='DefaultSampler', shuffle=False)
    loader.pop('batch_sampler', None)
    loader['batch_size'] = batch_size or cfg.test_dataloader.get(
        'batch_size', 1)
    if num_workers is not None:
        loader['num_workers'] = num_workers
    loader['persistent_workers'] = False  # one pass over the data
    loader['drop_last'] = False
    return loader


def _encoder_checkpoint(cfg) -> Optional[str]:
    init_cfg = cfg.model.get('backbone', {}).get('init_cfg')
    if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
        return init_cfg.get('checkpoint')
    return None


def evaluate_knn(config,
                 checkpoint: Optional[str] = None,
                 cfg_options: Optional[dict] = None,
                 k: int = 20,
                 temperature: float = 0.07,
                 batch_size: Optional[int] = None,
                 num_workers: Optional[int] = None,
                 chunk_size: int = 256,
                 device: Optional[Union[str, torch.device]] = None,
                 seed: int = 0) -> Dict:
    """k-NN accuracy of a classification config's frozen backbone.

    The model is built from ``config`` in the mmpretrain scope (its
    ``default_scope`` if set) and initialized by ``init_weights``: the
    backbone's ``init_cfg=dict(type='Pretrained', checkpoint=...)`` loads
    the encoder through :mod:`mmcae.checkpoint` (any published layout);
    ``checkpoint`` replaces that file. Training features come from
    ``train_dataloader``'s dataset read with the TEST pipeline (no random
    crops: the same features on every run), test features from
    ``test_dataloader``; both in dataset order, with the config's
    ``num_workers``. See :func:`knn_classify` for the vote.

    Args:
        config (str | Config): a classification config (e.g. a linear
            probe's).
        checkpoint (str, optional): the encoder checkpoint.
        cfg_options (dict, optional): ``key=value`` overrides.
        k, temperature, chunk_size: see :func:`knn_classify`.
        batch_size (int, optional): images per forward pass; defaults to
            ``test_dataloader.batch_size``.
        num_workers (int, optional): dataloader workers; defaults to the
            config's.
        device (str, optional): defaults to 'cuda' when available.
        seed (int): torch seed of the model's construction (matters only
            for a randomly initialized encoder). Defaults to 0.

    Returns:
        dict: ``top1``, ``top5`` (percent), ``k``, ``temperature``,
        ``num_train``, ``num_test``, ``feature_dims``, ``seconds`` (wall
        time of the whole evaluation), ``checkpoint`` (the encoder file
        loaded, None for a random encoder) and ``config`` (its path).

    Raises:
        UserError: missing config, checkpoint or data files (all named at
            once), a model that cannot be built, a checkpoint that does
            not fit, a backbone without vector outputs, or ``k`` larger
            than the training set.
    """
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    from mmcae.analysis.models import build_model
    from mmcae.utils.config import load_config
    from mmcae.utils.preflight import preflight
    start = time.perf_counter()
    if isinstance(config, Config):
        cfg = copy.deepcopy(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
    else:
        cfg = load_config(config, cfg_options)
    if cfg.get('model') is None or cfg.model.get('backbone') is None:
        raise UserError(f"config '{cfg.filename}' has no model.backbone")
    if checkpoint is not None:
        checkpoint = osp.expanduser(checkpoint)
        if not osp.isfile(checkpoint):
            raise UserError(f"checkpoint file not found: '{checkpoint}'")
        init_cfg = cfg.model.backbone.get('init_cfg')
        if isinstance(init_cfg, dict) and \
                init_cfg.get('type') == 'Pretrained':
            init_cfg = copy.deepcopy(init_cfg)  # keeps format, options
        else:
            init_cfg = dict(type='Pretrained')
        init_cfg['checkpoint'] = checkpoint
        cfg.model.backbone.init_cfg = init_cfg
    cfg.load_from = None  # only the encoder's init_cfg is read
    if cfg.get('data_preprocessor') is not None:
        # as mmengine's Runner does: the top-level data_preprocessor (the
        # dataset's mean, std, to_rgb) is the model's unless it has one
        cfg.model.setdefault('data_preprocessor',
                             copy.deepcopy(cfg.data_preprocessor))
    preflight(cfg, ('train', 'test'), check_weights=True)
    if device is None:
        device = 'cuda' if torch.cuda.is_available() else 'cpu'

    model = build_model(cfg, seed=seed, random_init=True).to(device)
    pipeline = cfg.test_dataloader.dataset.get('pipeline')
    if pipeline is None:
        raise UserError(f"config '{cfg.filename}': test_dataloader.dataset "
                        'has no pipeline')
    scope = cfg.get('default_scope') or 'mmpretrain'
    features = {}
    with DefaultScope.overwrite_default_scope(scope):
        for split in ('train', 'test'):
            loader = Runner.build_dataloader(
                _loader_cfg(cfg, split, pipeline, batch_size, num_workers))
            if split == 'train':
                classes = loader.dataset.metainfo.get('classes')
                if k > len(loader.dataset):  # before any forward pass
                    raise UserError(
                        f'--k {k} is larger than the training set '
                        f'({len(loader.dataset)} images)')
            features[split] = extract_features(model, loader)
    (train_features, train_labels), (test_features, test_labels) = \
        features['train'], features['test']
    num_classes = len(classes) if classes else int(
        max(train_labels.max(), test_labels.max())) + 1
    result = knn_classify(
        train_features.to(device),
        train_labels,
        test_features,
        test_labels,
        num_classes,
        k=k,
        temperature=temperature,
        chunk_size=chunk_size)
    return dict(
        top1=result['top1'],
        top5=result['top5'],
        k=k,
        temperature=temperature,
        num_train=int(train_features.shape[0]),
        num_test=int(test_features.shape[0]),
        feature_dims=int(train_features.shape[1]),
        seconds=time.perf_counter() - start,
        checkpoint=_encoder_checkpoint(cfg),
        config=getattr(cfg, 'filename', None))
