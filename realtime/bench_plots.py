"""The benchmark's figures (matplotlib, Agg backend: no display needed). Each function writes one
PNG and returns its path."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import cv2  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 110


def _save(fig, path: Path, top: float = 1.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout(rect=(0, 0, 1, top))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def confusion_plot(matrix: np.ndarray, col_names: list[str], title: str, path: Path) -> Path:
    """Rows: true digit 0-9; columns: predicted (digits and reject). Cells show row percentages."""
    rows = matrix.sum(axis=1, keepdims=True).clip(min=1)
    pct = 100.0 * matrix / rows
    fig, ax = plt.subplots(figsize=(7.5, 6.2))
    im = ax.imshow(np.log1p(pct), cmap="Blues")
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if matrix[i, j]:
                ax.text(j, i, f"{pct[i, j]:.1f}" if pct[i, j] < 99.95 else "100", ha="center",
                        va="center", fontsize=7, color="white" if pct[i, j] > 40 else "black")
    ax.set_xticks(range(len(col_names)), col_names)
    ax.set_yticks(range(matrix.shape[0]), [str(d) for d in range(matrix.shape[0])])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true digit")
    ax.set_title(title)
    fig.colorbar(im, ax=ax, label="log(1 + % of row)")
    return _save(fig, path)


def latency_plot(batch_sizes: list[int], series: dict[str, list[float]], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, values in series.items():
        ax.plot(batch_sizes, values, marker="o", label=name, linestyle="--" if "CPU" in name else "-")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("batch size (crops per call)")
    ax.set_ylabel("ms per digit (1 thread)")
    ax.set_title("Classifier latency per digit vs batch size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return _save(fig, path)


def scaling_plot(xs: list[float], series: dict[str, list[float]], xlabel: str, title: str,
                 path: Path, stages: dict[str, list[float]] | None = None) -> Path:
    """Total time per reader vs x; optional stacked area of our per-stage times on a second panel."""
    ncols = 2 if stages else 1
    fig, axes = plt.subplots(1, ncols, figsize=(6.2 * ncols, 4), squeeze=False)
    ax = axes[0][0]
    for name, values in series.items():
        ax.plot(xs, values, marker="o", label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("ms per image (fastest of the repeats)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    if stages:
        ax2 = axes[0][1]
        ax2.stackplot(xs, *stages.values(), labels=list(stages.keys()), alpha=0.8)
        ax2.set_xlabel(xlabel)
        ax2.set_ylabel("ms")
        ax2.set_title("ours: time per stage")
        ax2.grid(True, alpha=0.3)
        ax2.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def stage_bar_plot(stage_ms: dict[str, dict[str, float]], path: Path) -> Path:
    """One horizontal stacked bar per dataset: mean ms per stage."""
    datasets = list(stage_ms)
    stages = sorted({s for d in stage_ms.values() for s in d})
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.6 * len(datasets)))
    left = np.zeros(len(datasets))
    for stage in stages:
        vals = np.array([stage_ms[d].get(stage, 0.0) for d in datasets])
        ax.barh(datasets, vals, left=left, label=stage)
        left += vals
    ax.set_xlabel("mean ms per image")
    ax.set_title("Our engine: time per stage")
    ax.legend(fontsize=8, ncols=min(len(stages), 4), loc="lower right")
    return _save(fig, path)


def accuracy_bars(table: dict[str, dict[str, float]], metric: str, path: Path, title: str) -> Path:
    """Grouped bars: datasets on x, one bar per reader."""
    datasets = list(table)
    readers = list(next(iter(table.values())).keys()) if table else []
    width = 0.8 / max(1, len(readers))
    fig, ax = plt.subplots(figsize=(6.5, 4))
    x = np.arange(len(datasets))
    for i, reader in enumerate(readers):
        vals = [table[d].get(reader, np.nan) for d in datasets]
        bars = ax.bar(x + i * width - 0.4 + width / 2, vals, width, label=reader)
        ax.bar_label(bars, fmt="%.1f", fontsize=7)
    ax.set_xticks(x, datasets)
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.legend()
    return _save(fig, path)


def contact_sheet(tiles: list[tuple[np.ndarray, str]], path: Path, cols: int = 4,
                  title: str = "") -> Path:
    """Grid of images, each with a caption (truth vs readings) under it."""
    n = max(1, len(tiles))
    rows = (n + cols - 1) // cols
    # tile size from the images' mean aspect, so strip-like ORAND crops and pages both fill it
    aspect = np.mean([im.shape[0] / im.shape[1] for im, _ in tiles]) if tiles else 0.5
    tile_w = 13.6 / cols
    caption_h = 0.24 * max((c.count("\n") + 1 for _, c in tiles), default=1)
    fig, axes = plt.subplots(rows, cols, figsize=(13.6, rows * (tile_w * aspect + caption_h + 0.1)),
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (image, caption) in zip(axes.ravel(), tiles, strict=False):
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if image.ndim == 3 else image
        ax.imshow(rgb, cmap="gray" if rgb.ndim == 2 else None)
        ax.set_title(caption, fontsize=7, family="monospace", loc="left")
    if title:
        fig.suptitle(title)
    return _quantize(_save(fig, path, top=1.0 - 0.5 / fig.get_figheight() if title else 1.0))


def _quantize(path: Path, colors: int = 96) -> Path:
    """Photo-like sheets as a palette PNG: several times smaller in the repository, same look."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return path


def live_plot(results: list[dict], path: Path) -> Path:
    names = [r["resolution"] for r in results]
    fps = [r["fps"] for r in results]
    refresh = [r.get("detections_per_s", np.nan) for r in results]
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    x = np.arange(len(names))
    b1 = ax.bar(x - 0.2, fps, 0.4, label="frames / s through the processor")
    b2 = ax.bar(x + 0.2, refresh, 0.4, label="box refreshes / s at camera rate")
    ax.set_yscale("log")
    ax.bar_label(b1, fmt="%.1f", fontsize=8)
    ax.bar_label(b2, fmt="%.1f", fontsize=8)
    ax.set_xticks(x, names)
    ax.set_title("Live path throughput")
    ax.legend()
    return _save(fig, path)
