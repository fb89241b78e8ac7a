"""The figures of the analysis tools (Uni-SSL Fig. 1a, 2, 3), drawn with
matplotlib's Agg backend (no display needed)."""
from typing import Dict, List, Optional

import numpy as np


def _pyplot():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def plot_attention_distance(results: List[Dict], path: str) -> None:
    """Fig. 3 (a): per layer a dot per head, a line through the means."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    colors = plt.get_cmap('tab10')
    for index, result in enumerate(results):
        distances = np.asarray(result['distances'])
        layers = np.arange(1, distances.shape[0] + 1)
        color = colors(index % 10)
        ax.scatter(
            np.repeat(layers, distances.shape[1]),
            distances.ravel(),
            s=12,
            alpha=0.5,
            color=color)
        ax.plot(
            layers,
            distances.mean(axis=1),
            '-o',
            color=color,
            markersize=3,
            label=result['label'])
    ax.set_xlabel('layer')
    ax.set_ylabel('mean attention distance (pixels)')
    ax.set_xticks(np.arange(1, max(len(r['distances']) for r in results) +
                            1))
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def plot_attention_distance_by_label(results: List[Dict],
                                     values: List[float], name: str,
                                     path: str) -> None:
    """Fig. 3 (b): heads and means per layer, coloured by the label."""
    plt = _pyplot()
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.ticker import MaxNLocator
    low, high = min(values), max(values)
    norm = Normalize(low, high if high > low else low + 1)
    cmap = plt.get_cmap('viridis')
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for result, value in sorted(zip(results, values), key=lambda x: x[1]):
        distances = np.asarray(result['distances'])
        layers = np.arange(1, distances.shape[0] + 1)
        color = cmap(norm(value))
        ax.scatter(
            np.repeat(layers, distances.shape[1]),
            distances.ravel(),
            s=10,
            alpha=0.4,
            color=color)
        ax.plot(layers, distances.mean(axis=1), '-', color=color)
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=name)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel('layer')
    ax.set_ylabel('mean attention distance (pixels)')
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def plot_similarity(similarity: List[float], path: str) -> None:
    """Fig. 1 (a): S_l per decoder layer."""
    plt = _pyplot()
    layers = np.arange(1, len(similarity) + 1)
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    ax.bar(layers, similarity, color='tab:blue', alpha=0.8)
    ax.plot(layers, similarity, '-o', color='tab:red', markersize=4)
    for layer, value in zip(layers, similarity):
        ax.annotate(
            f'{value:.3f}', (layer, value),
            textcoords='offset points',
            xytext=(0, 4),
            ha='center',
            fontsize=8)
    ax.set_xticks(layers)
    ax.set_xlabel('decoder layer')
    ax.set_ylabel('average attention similarity $S_l$')
    ax.set_ylim(min(0., min(similarity)), 1.05)
    ax.grid(axis='y', alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def plot_relative_maps(maps: np.ndarray, radius: Optional[int],
                       path: str) -> None:
    """Fig. 2: one heat map per decoder layer, offsets on the axes."""
    plt = _pyplot()
    num_layers, rows, cols = maps.shape
    half_r, half_c = rows // 2, cols // 2
    if radius is not None:
        rad_r, rad_c = min(radius, half_r), min(radius, half_c)
        maps = maps[:, half_r - rad_r:half_r + rad_r + 1,
                    half_c - rad_c:half_c + rad_c + 1]
        half_r, half_c = rad_r, rad_c
    fig, axes = plt.subplots(
        1, num_layers, figsize=(3.2 * num_layers, 3.2), squeeze=False)
    extent = (-half_c - 0.5, half_c + 0.5, half_r + 0.5, -half_r - 0.5)
    for layer, ax in enumerate(axes[0]):
        image = ax.imshow(maps[layer], cmap='viridis', extent=extent)
        ax.set_title(f'decoder layer {layer + 1}')
        ax.set_xlabel('column offset')
        if layer == 0:
            ax.set_ylabel('row offset')
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def plot_attention_overlays(views: np.ndarray, rows: List, path: str,
                            mass: float = 0.5) -> None:
    """CAE Figs. 6, 7, 10: the views on top, then per model a row of the
    views with the attention map overlaid and the outline of its
    ``mass`` region (blue). Each map is coloured on its own scale (its
    minimum to its maximum): compare models by the outline and the JSON
    numbers, not by the colours.

    Args:
        views (np.ndarray): uint8 (N, H, W, 3).
        rows (list): per model (label, maps (N, rows, cols), regions bool
            (N, rows, cols)).
    """
    plt = _pyplot()
    num, height, width = views.shape[:3]
    fig, axes = plt.subplots(
        1 + len(rows), num, figsize=(1.8 * num, 1.8 * (1 + len(rows))),
        squeeze=False)
    for column, view in enumerate(views):
        axes[0, column].imshow(view)
    axes[0, 0].set_ylabel('input')
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)
    for row, (label, maps, regions) in enumerate(rows, 1):
        axes[row, 0].set_ylabel(label)
        for column, (view, attn, region) in enumerate(
                zip(views, maps, regions)):
            ax = axes[row, column]
            ax.imshow(view)
            ax.imshow(
                attn, cmap='YlOrRd', alpha=0.6, extent=extent,
                interpolation='bilinear')
            # the region's patches at pixel resolution, padded so that an
            # outline along the image border is drawn too
            mask = np.kron(region.astype(float),
                           np.ones((height // region.shape[0],
                                    width // region.shape[1])))
            ax.contour(
                np.arange(-1, width + 1), np.arange(-1, height + 1),
                np.pad(mask, 1), levels=[0.5], colors='blue',
                linewidths=1.2)
            ax.set_xlim(extent[:2])
            ax.set_ylim(extent[2:])
            ax.set_title(f'{region.mean():.0%} of patches', fontsize=7)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f'blue: {mass:.0%} of the attention mass', fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
