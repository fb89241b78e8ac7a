"""t-SNE of patch representations on a segmentation set, each patch
labelled with its majority category (CAE arXiv Fig. 5 and App. B; IJCV
Fig. 7), and a k-NN accuracy of those labels that does not depend on the
2-D projection.

The papers (arXiv App. B): "For each patch in the image, we set its label
to be the category that more than half of the pixels belong to. We
collect up to 1000 patches for each category from sampled 500 images"
(ADE20K, 150 categories; CAE vs a ViT with random weights). Here:

* Images and label maps are read through the dataset class of an mmseg
  dataset config (ADE20K layout, ``mmcae.CamVidDataset``, the demo
  ADE20K set...), with ``LoadImageFromFile`` and ``mmcae.
  LoadSegAnnotations``, so ``reduce_zero_label`` and the dataset's
  ``label_map`` (CamVid's void -> 255) apply exactly as in training.
  Each image and its label map are resized to cover ``img_size``
  (bicubic / nearest) and centre cropped to it.
* Majority label (:func:`majority_labels`): a patch takes category c if
  the pixels of c are MORE than ``threshold`` (0.5) of ALL the patch's
  pixels; ignore pixels (255, and any value >= the number of classes)
  count in the patch's size but for no category, so a patch that is
  mostly void has no label. Patches without a label are left out.
* Sampling: up to ``max_images`` (500) images drawn without replacement
  (NumPy seed ``seed``), then up to ``max_per_class`` (1000) labelled
  patches per category drawn from all their patches (same seed).
* Features: the encoder's last-layer patch tokens (after its final norm;
  [CLS] and other prefix tokens dropped) on the whole crop.
* t-SNE: scikit-learn's ``TSNE`` (Barnes-Hut) on the features, metric
  ``cosine`` by default (the k-NN's), PCA init, ``learning_rate='auto'``,
  seeded; the perplexity is capped at (n - 1) / 3 for small samples.
* k-NN (:func:`patch_knn_accuracy`): the project's weighted k-NN
  (:func:`mmcae.evaluation.knn_classify`: cosine similarity, k = 20,
  votes ``exp(s / 0.07)``) over the same sampled patches, split by IMAGE
  with a fixed seeded permutation: the patches of half the images (the
  larger half) are the reference set, the others are classified. A split
  by patch would put the neighbouring patches of one image on both sides
  and reward "same image" rather than "same category".
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import nn

from mmcae.utils.errors import UserError

#: label of a patch without a majority category
NO_LABEL = -1

Size = Union[int, Sequence[int]]


def _pair(size: Size) -> Tuple[int, int]:
    if isinstance(size, int):
        return size, size
    values = tuple(int(s) for s in size)
    return (values[0], values[0]) if len(values) == 1 else values[:2]


def majority_labels(label_map: np.ndarray,
                    patch_size: int,
                    num_classes: int,
                    threshold: float = 0.5) -> np.ndarray:
    """The majority category of every patch of a label map.

    Args:
        label_map (np.ndarray): (H, W) integer labels; values outside
            ``[0, num_classes)`` (the ignore index 255) belong to no
            category. H and W multiples of ``patch_size``.
        patch_size (int): patch side in pixels.
        num_classes (int): the categories.
        threshold (float): a category labels the patch if its pixels are
            MORE than this fraction of all the patch's pixels (ignore
            pixels included). Defaults to 0.5 (the papers' "more than
            half"); below 0.5 the largest such category wins, ties to the
            lower index.

    Returns:
        np.ndarray: (H / p, W / p) int64, :data:`NO_LABEL` where no
        category passes the threshold.
    """
    if not 0 < threshold < 1:
        raise ValueError(f'threshold must be in (0, 1), got {threshold}')
    height, width = label_map.shape
    if height % patch_size or width % patch_size:
        raise ValueError(f'label map {label_map.shape} is not a multiple of '
                         f'the patch size {patch_size}')
    rows, cols = height // patch_size, width // patch_size
    labels = np.asarray(
        label_map,
        dtype=np.int64).reshape(rows, patch_size, cols, patch_size).transpose(
            0, 2, 1, 3).reshape(rows * cols, -1)
    valid = (labels >= 0) & (labels < num_classes)
    patch_index = np.broadcast_to(
        np.arange(rows * cols)[:, None], labels.shape)
    counts = np.bincount(
        (patch_index * num_classes + labels)[valid],
        minlength=rows * cols * num_classes).reshape(rows * cols, num_classes)
    best = counts.argmax(axis=1)
    passed = counts[np.arange(rows * cols), best] > threshold * \
        patch_size * patch_size
    return np.where(passed, best, NO_LABEL).reshape(rows, cols)


def resize_crop(image: np.ndarray, label_map: np.ndarray,
                size: Size) -> Tuple[np.ndarray, np.ndarray]:
    """Resize an image (bicubic) and its label map (nearest) to cover
    ``size`` (H, W), aspect kept, and cut out the centre."""
    from PIL import Image
    crop_h, crop_w = _pair(size)
    height, width = label_map.shape
    scale = max(crop_h / height, crop_w / width)
    new_w = max(crop_w, int(round(width * scale)))
    new_h = max(crop_h, int(round(height * scale)))
    top, left = (new_h - crop_h) // 2, (new_w - crop_w) // 2
    box = (left, top, left + crop_w, top + crop_h)
    pixels = Image.fromarray(image).resize((new_w, new_h), Image.BICUBIC)
    labels = Image.fromarray(label_map.astype(np.int32)).resize((new_w, new_h),
                                                                Image.NEAREST)
    return np.asarray(pixels.crop(box)), np.asarray(labels.crop(box))


def build_segmentation_set(config: str,
                           split: str = 'val',
                           data_root: Optional[str] = None,
                           cfg_options: Optional[dict] = None):
    """The ``{split}_dataloader`` dataset of an mmseg dataset (or model)
    config, reading raw image + label map pairs (``img`` BGR uint8,
    ``gt_seg_map`` with the dataset's label handling).

    Raises:
        UserError: no such split, or a dataset that cannot be read.
    """
    from mmengine.registry import DATASETS, DefaultScope

    import mmcae.datasets  # noqa: F401  (registers mmcae.CamVidDataset)
    from mmcae.utils.config import load_config
    cfg = load_config(config, cfg_options)
    loader = cfg.get(f'{split}_dataloader')
    if not loader or not loader.get('dataset'):
        raise UserError(f"config '{config}' has no {split}_dataloader."
                        'dataset; choose another --split')
    dataset_cfg = loader.dataset.to_dict()
    if data_root is not None:
        dataset_cfg['data_root'] = data_root
    dataset_cfg['pipeline'] = [
        dict(type='LoadImageFromFile'),
        dict(type='mmcae.LoadSegAnnotations', reduce_zero_label=None)
    ]
    root = dataset_cfg.get('data_root')
    try:
        with DefaultScope.overwrite_default_scope(
                cfg.get('default_scope') or 'mmseg'):
            dataset = DATASETS.build(dataset_cfg)
    except (FileNotFoundError, OSError, AssertionError, ValueError,
            KeyError) as err:
        raise UserError(f"the {split} set of '{config}' ({root}) cannot be "
                        f'read: {type(err).__name__}: {err}; pass '
                        '--data-root DIR') from err
    if len(dataset) == 0:
        raise UserError(f"the {split} set of '{config}' ({root}) is empty")
    return dataset


def load_segmentation_crops(dataset,
                            max_images: int,
                            size: Size,
                            seed: int = 0) -> Dict:
    """Up to ``max_images`` images (NumPy seed ``seed``, in dataset
    order) as RGB crops of ``size`` with their label maps.

    Returns:
        dict: ``crops`` (N, H, W, 3) uint8 RGB, ``labels`` (N, H, W)
        int32, ``paths``.
    """
    count = min(max_images, len(dataset))
    chosen = sorted(
        np.random.default_rng(seed).choice(len(dataset), count,
                                           replace=False).tolist())
    crops, labels, paths = [], [], []
    for index in chosen:
        sample = dataset[index]
        crop, label = resize_crop(
            np.ascontiguousarray(sample['img'][..., ::-1]),
            sample['gt_seg_map'], size)
        crops.append(crop)
        labels.append(label)
        paths.append(sample['img_path'])
    return dict(crops=np.stack(crops), labels=np.stack(labels), paths=paths)


def sample_patches(patch_labels: np.ndarray,
                   max_per_class: int = 1000,
                   seed: int = 0) -> np.ndarray:
    """Indices (sorted) of up to ``max_per_class`` labelled patches per
    category, drawn with NumPy seed ``seed``; unlabelled patches never."""
    rng = np.random.default_rng(seed)
    chosen = []
    for category in np.unique(patch_labels[patch_labels != NO_LABEL]):
        members = np.flatnonzero(patch_labels == category)
        if members.size > max_per_class:
            members = rng.choice(members, max_per_class, replace=False)
        chosen.append(members)
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, int)


@torch.no_grad()
def patch_tokens(backbone: nn.Module, images: torch.Tensor,
                 grid: Tuple[int, int]) -> torch.Tensor:
    """The last output's patch tokens (B, rows * cols, C) of a ViT on
    whole images: token outputs lose their prefix tokens, feature maps
    are flattened row-major; a pooled ``out_type`` ('cls_token',
    'avg_featmap') is switched to 'raw' for the call."""
    from .attention_distance import full_image_forward
    saved = getattr(backbone, 'out_type', None)
    if saved in ('cls_token', 'avg_featmap'):
        backbone.out_type = 'raw'
    try:
        out = full_image_forward(backbone)(images)
    finally:
        if saved is not None:
            backbone.out_type = saved
    if isinstance(out, (tuple, list)):
        out = out[-1]
    num_patches = grid[0] * grid[1]
    if out.dim() == 4 and tuple(out.shape[-2:]) == tuple(grid):
        return out.flatten(2).transpose(1, 2)
    if out.dim() == 3 and out.shape[1] >= num_patches:
        return out[:, out.shape[1] - num_patches:]
    raise UserError(f'{type(backbone).__name__} returns {tuple(out.shape)}, '
                    f'not the tokens or the feature map of a {grid[0]}x'
                    f'{grid[1]} patch grid')


def patch_knn_accuracy(features: torch.Tensor,
                       labels: np.ndarray,
                       image_ids: np.ndarray,
                       num_classes: int,
                       k: int = 20,
                       temperature: float = 0.07,
                       seed: int = 0) -> Dict:
    """Weighted k-NN accuracy of patch labels, split by image (see the
    module docstring).

    Returns:
        dict: ``top1`` (percent), ``k`` (capped at the reference set
        size), ``temperature``, ``metric``, ``split``, ``seed``,
        ``num_reference`` and ``num_query`` patches and images.

    Raises:
        UserError: fewer than 2 images hold labelled patches.
    """
    from mmcae.evaluation.knn import knn_classify
    images = np.unique(image_ids)
    if images.size < 2:
        raise UserError('the k-NN accuracy needs labelled patches in at '
                        f'least 2 images, got {images.size}; sample more '
                        'images (--max-images) or lower --threshold')
    order = np.random.default_rng(seed).permutation(images)
    reference = np.isin(image_ids, order[:(images.size + 1) // 2])
    labels = torch.as_tensor(labels, dtype=torch.long)
    mask = torch.as_tensor(reference)
    k = min(k, int(reference.sum()))
    result = knn_classify(features[mask], labels[mask], features[~mask],
                          labels[~mask], num_classes, k, temperature)
    return dict(
        top1=result['top1'],
        k=k,
        temperature=temperature,
        metric='cosine',
        split='by image, seeded: the larger half of the images is the '
        'reference set',
        seed=seed,
        num_reference=int(reference.sum()),
        num_query=int((~reference).sum()),
        num_reference_images=int((images.size + 1) // 2),
        num_query_images=int(images.size // 2))


def tsne_embedding(features: np.ndarray,
                   perplexity: float = 30.,
                   metric: str = 'cosine',
                   max_iter: int = 1000,
                   seed: int = 0) -> Tuple[np.ndarray, Dict]:
    """scikit-learn's t-SNE to 2-D; returns the points and its settings
    (the perplexity used is at most (n - 1) / 3)."""
    from sklearn.manifold import TSNE
    if features.shape[0] < 4:
        raise UserError(f't-SNE needs at least 4 patches, got '
                        f'{features.shape[0]}')
    used = float(min(perplexity, (features.shape[0] - 1) / 3))
    tsne = TSNE(
        n_components=2,
        perplexity=used,
        metric=metric,
        init='pca',
        learning_rate='auto',
        max_iter=max_iter,
        random_state=seed)
    points = tsne.fit_transform(features.astype(np.float32))
    # scikit-learn reports float max while only the early-exaggeration
    # iterations (the first 250) have run
    kl_divergence = float(tsne.kl_divergence_)
    if not kl_divergence < np.finfo(np.float64).max:
        kl_divergence = None
    return points, dict(
        library='scikit-learn',
        perplexity=used,
        perplexity_requested=perplexity,
        metric=metric,
        init='pca',
        learning_rate='auto',
        max_iter=max_iter,
        random_state=seed,
        kl_divergence=kl_divergence)


def plot_patch_tsne(results: List[Dict], class_names: Sequence[str],
                    palette: Optional[Sequence], path: str) -> None:
    """A scatter per model, one colour per category, one legend."""
    from .figures import _pyplot
    plt = _pyplot()
    present = sorted(set().union(*(np.unique(r['labels']).tolist()
                                   for r in results)))
    if palette is not None and len(palette) >= len(class_names):
        colours = {c: np.asarray(palette[c]) / 255. for c in present}
    else:
        cmap = plt.get_cmap('tab20')
        colours = {c: cmap(i % 20) for i, c in enumerate(present)}
    fig, axes = plt.subplots(
        1, len(results), figsize=(4.6 * len(results), 4.8), squeeze=False)
    for ax, result in zip(axes[0], results):
        points, labels = result['points'], result['labels']
        for category in present:
            chosen = labels == category
            ax.scatter(
                points[chosen, 0],
                points[chosen, 1],
                s=4,
                color=colours[category],
                label=class_names[category])
        ax.set_title(
            f'{result["label"]} (k-NN top-1 '
            f'{result["knn"]["top1"]:.1f} %)',
            fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    handles, names = axes[0][0].get_legend_handles_labels()
    columns = max(1, min(len(names), 3 * len(results)))
    rows = -(-len(names) // columns)
    fig.legend(
        handles,
        names,
        loc='lower center',
        fontsize=7,
        ncol=columns,
        markerscale=3,
        frameon=False)
    fig.tight_layout(rect=(0, min(0.6, 0.045 * rows), 1, 1))
    fig.savefig(path, dpi=130, bbox_inches='tight')
    plt.close(fig)


def run_patch_tsne(data_config: str,
                   specs: Sequence[Tuple[str, Union[str, dict], Optional[str],
                                         str]],
                   split: str = 'val',
                   data_root: Optional[str] = None,
                   img_size: Size = 224,
                   patch_size: int = 16,
                   qkv_bias: Optional[str] = 'qkv',
                   threshold: float = 0.5,
                   max_images: int = 500,
                   max_per_class: int = 1000,
                   k: int = 20,
                   temperature: float = 0.07,
                   perplexity: float = 30.,
                   metric: str = 'cosine',
                   max_iter: int = 1000,
                   batch_size: int = 16,
                   seed: int = 0,
                   out_dir: str = 'work_dirs/patch_tsne',
                   device: str = 'cpu',
                   trust: Optional[bool] = None,
                   cfg_options: Optional[dict] = None) -> Dict:
    """Patch t-SNE and k-NN of several encoders on the same images;
    ``patch_tsne.png``, ``patch_tsne.json`` and ``patch_tsne.npz`` (the
    2-D points and labels) in ``out_dir``.

    Args:
        data_config (str): an mmseg dataset (or model) config.
        specs: (kind, source, checkpoint or None, label) per encoder, as
            :func:`mmcae.analysis.cli.model_specs` gives them.
        split (str): whose ``{split}_dataloader`` dataset is read.
        img_size: the crop (H, W) or its side; a multiple of every
            encoder's patch size.
        cfg_options: overrides of every ``--model`` config (not of
            ``data_config``).

    Returns:
        dict: the JSON's content.
    """
    from .attention_distance import patch_size_of
    from .images import normalize, preprocessor_normalize
    from .models import analysed_backbone
    from mmcae.utils.config import load_config
    for _, _, checkpoint, _ in specs:
        if checkpoint is not None and not osp.isfile(checkpoint):
            raise UserError(f'checkpoint not found: {checkpoint}')
    size = _pair(img_size)
    dataset = build_segmentation_set(data_config, split, data_root)
    class_names = list(dataset.metainfo['classes'])
    data = load_segmentation_crops(dataset, max_images, size, seed)
    results, arrays = [], {}
    for index, (kind, source, checkpoint, label) in enumerate(specs):
        backbone = analysed_backbone(kind, source, checkpoint, size,
                                     patch_size, qkv_bias, seed, trust,
                                     cfg_options).to(torch.device(device))
        patch = patch_size_of(backbone)
        if size[0] % patch or size[1] % patch:
            raise UserError(f'{label}: --img-size {size} is not a multiple '
                            f'of its patch size {patch}')
        grid = (size[0] // patch, size[1] // patch)
        labels = np.stack([
            majority_labels(m, patch, len(class_names), threshold)
            for m in data['labels']
        ]).reshape(-1)
        chosen = sample_patches(labels, max_per_class, seed)
        if chosen.size == 0:
            raise UserError('no patch has a majority label; lower '
                            '--threshold or sample more images')
        inputs = preprocessor_normalize(
            data['crops'], load_config(
                source, cfg_options)) if kind == 'config' else normalize(
                    data['crops'])
        features = []
        per_image = grid[0] * grid[1]
        for start in range(0, inputs.shape[0], batch_size):
            tokens = patch_tokens(backbone,
                                  inputs[start:start + batch_size].to(device),
                                  grid).float().cpu().flatten(0, 1)
            first = start * per_image
            wanted = chosen[(chosen >= first)
                            & (chosen < first + tokens.shape[0])]
            features.append(tokens[torch.as_tensor(wanted - first)])
        features = torch.cat(features)
        image_ids = chosen // per_image
        knn = patch_knn_accuracy(features, labels[chosen], image_ids,
                                 len(class_names), k, temperature, seed)
        points, tsne = tsne_embedding(features.numpy(), perplexity, metric,
                                      max_iter, seed)
        counts = np.bincount(labels[chosen], minlength=len(class_names))
        arrays[f'points_{index}'] = points
        arrays[f'labels_{index}'] = labels[chosen]
        results.append(
            dict(
                label=label,
                kind=kind,
                source=source,
                checkpoint=checkpoint,
                patch_size=patch,
                grid=list(grid),
                feature_dims=int(features.shape[1]),
                num_patches=int(chosen.size),
                num_labelled_patches=int((labels != NO_LABEL).sum()),
                num_patches_total=int(labels.size),
                patches_per_class={
                    class_names[c]: int(counts[c])
                    for c in np.flatnonzero(counts)
                },
                knn=knn,
                tsne=tsne,
                points=points,
                labels=labels[chosen]))
    os.makedirs(out_dir, exist_ok=True)
    figure = osp.join(out_dir, 'patch_tsne.png')
    plot_patch_tsne(results, class_names, dataset.metainfo.get('palette'),
                    figure)
    np.savez(osp.join(out_dir, 'patch_tsne.npz'), **arrays)
    for result in results:
        del result['points'], result['labels']
    record = dict(
        data_config=data_config,
        split=split,
        data_root=dataset.data_root,
        num_images=len(data['paths']),
        images=data['paths'],
        img_size=list(size),
        threshold=threshold,
        max_images=max_images,
        max_per_class=max_per_class,
        seed=seed,
        classes=class_names,
        figure=figure,
        models=results)
    with open(osp.join(out_dir, 'patch_tsne.json'), 'w') as f:
        json.dump(record, f, indent=1)
    return record
