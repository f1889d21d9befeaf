"""Real handwritten digits (ORAND-CAR-A cheque amounts) as classifier crops.

The images are grey scans with guilloche backgrounds, read from ../shared (never copied into the
repo). Digit crops are made the way the engine makes them: binarize (adaptive threshold, ink
white), take the mask inside the labelled box, drop specks, `normalize_digit`. Connected
components that lie outside every labelled box (separators, underlines, guilloche) are real
non-digits. The split is by IMAGE with a fixed seed, so held-out crops come from unseen writers'
strings.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from realtime.normalize import normalize_digit

ROOT = Path(__file__).resolve().parents[1]
ORAND_DIR = ROOT.parent / "shared" / "datasets" / "orand-car-a"
HELDOUT_FRACTION = 0.2
SPLIT_SEED = 1234


def load_labels(orand_dir: Path = ORAND_DIR) -> list[dict]:
    with open(orand_dir / "labels.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]


def split_by_image(records: list[dict], fraction: float = HELDOUT_FRACTION,
                   seed: int = SPLIT_SEED) -> tuple[list[dict], list[dict]]:
    """(train, heldout) records; the same files always land in the same split."""
    order = np.random.default_rng(seed).permutation(len(records))
    n_held = int(round(fraction * len(records)))
    held = sorted(order[:n_held])
    train = sorted(order[n_held:])
    return [records[i] for i in train], [records[i] for i in held]


def ink_mask(grey: np.ndarray, block: int | None = None, offset: float = 12.0) -> np.ndarray:
    """Adaptive-threshold ink mask (dark ink on light paper -> 255 where ink)."""
    h = grey.shape[0]
    if block is None:
        block = max(11, (h // 2) | 1)
    return cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV,
                                 block, offset)


def drop_specks(mask: np.ndarray, min_frac: float = 0.08, min_area: int = 4) -> np.ndarray:
    """Keep connected components of at least `min_frac` of the largest one's area."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep_min = max(min_area, min_frac * areas.max())
    keep = np.zeros(n, bool)
    keep[1:] = areas >= keep_min
    return np.where(keep[lab], 255, 0).astype(np.uint8)


def digit_crop(mask: np.ndarray, box: list[int]) -> np.ndarray:
    """The engine's view of one labelled digit: its box of the mask, specks removed."""
    x, y, w, h = box
    crop = mask[max(0, y):y + h, max(0, x):x + w]
    return drop_specks(crop)


def digit_samples(records: list[dict], orand_dir: Path = ORAND_DIR,
                  block: int | None = None, offset: float = 12.0
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N x 28 x 28 crops, labels, image index) for every labelled digit of `records`."""
    crops, labels, owners = [], [], []
    for i, rec in enumerate(records):
        grey = cv2.imread(str(orand_dir / rec["file"]), cv2.IMREAD_GRAYSCALE)
        if grey is None:
            raise FileNotFoundError(orand_dir / rec["file"])
        mask = ink_mask(grey, block, offset)
        for d in rec["digits"]:
            crop = normalize_digit(digit_crop(mask, d["box"]))
            if crop.any():
                crops.append(crop)
                labels.append(int(d["digit"]))
                owners.append(i)
    return (np.array(crops, np.uint8).reshape(-1, 28, 28), np.array(labels, np.int64),
            np.array(owners, np.int64))


def outside_components(mask: np.ndarray, boxes: list[list[int]], min_area: int = 10,
                       max_inside: float = 0.15) -> list[np.ndarray]:
    """Components with at most `max_inside` of their pixels inside any digit box."""
    inside = np.zeros_like(mask, bool)
    for x, y, w, h in boxes:
        inside[max(0, y):y + h, max(0, x):x + w] = True
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for k in range(1, n):
        x, y, w, h, area = stats[k]
        if area < min_area:
            continue
        comp = lab[y:y + h, x:x + w] == k
        if inside[y:y + h, x:x + w][comp].mean() > max_inside:
            continue
        out.append(np.where(comp, 255, 0).astype(np.uint8))
    return out


def nondigit_samples(records: list[dict], orand_dir: Path = ORAND_DIR) -> np.ndarray:
    """Normalized crops of every component outside the labelled digit boxes."""
    crops = []
    for rec in records:
        grey = cv2.imread(str(orand_dir / rec["file"]), cv2.IMREAD_GRAYSCALE)
        mask = ink_mask(grey)
        for comp in outside_components(mask, [d["box"] for d in rec["digits"]]):
            crops.append(normalize_digit(comp))
    return np.array(crops, np.uint8).reshape(-1, 28, 28)
