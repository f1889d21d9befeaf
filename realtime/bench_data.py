"""Inputs for the benchmark, all generated or loaded with fixed seeds so runs are comparable.

- ORAND-CAR-A items (real cheque amounts with labelled digit boxes) from ../shared.
- Non-digit crops (letters, punctuation, strokes, blobs, noise) for the classifier's reject rate:
  the classifier engineer's held-out generator when `training/` exposes one, else our own below.
- Scaling images: a page of N MNIST test digits, for "time vs number of digits".
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from realtime.imageio import load_image
from realtime.normalize import normalize_digit

ROOT = Path(__file__).resolve().parents[1]
ORAND_DIR = ROOT.parent / "shared" / "datasets" / "orand-car-a"
NONDIGIT_SEED = 20261125


@dataclass
class LabelledImage:
    """One benchmark image and its truth: lines of text and, where known, digit boxes."""

    name: str
    image: np.ndarray
    lines: list[str]
    digits: list[tuple[int, tuple[int, int, int, int]]] = field(default_factory=list)  # (label, box)
    kind: str = "page"  # "orand", "words" (also signs): one number per image, scored as one string (realtime.evaluate)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def load_orand(orand_dir: Path = ORAND_DIR, limit: int | None = None,
               split: str = "heldout") -> list[LabelledImage]:
    """ORAND-CAR-A as LabelledImages (BGR) with their digit boxes, in file order. The file list
    is realtime.evaluate's: by default the held-out 20 % the classifier never trained on."""
    from realtime.evaluate import orand_items

    labels_file = Path(orand_dir) / "labels.jsonl"
    if not labels_file.exists():
        raise FileNotFoundError(f"ORAND-CAR-A labels not found at {labels_file}")
    with open(labels_file) as f:
        records = {json.loads(row)["file"]: json.loads(row) for row in f if row.strip()}
    items = []
    for path, text in orand_items(orand_dir, None, split)[:limit]:
        rec = records[f"{path.parent.name}/{path.name}"]
        image = load_image(path)  # the loader evaluate_orand uses
        digits = [(int(d["digit"]), tuple(int(v) for v in d["box"])) for d in rec.get("digits", [])]
        items.append(LabelledImage(path.name, image, [text], digits, "orand"))
    return items


# --- non-digits -------------------------------------------------------------------------------

NONDIGIT_KINDS = ("letter", "punctuation", "stroke", "blob", "noise", "scribble")
LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZabdefhkmnrtwxy"  # glyphs a camera meets beside digits
PUNCTUATION = ".,-+/:;=$%#*()"


def _canvas(rng: np.random.Generator, size: int = 64) -> np.ndarray:
    return np.zeros((size, size), np.uint8)


def _draw_nondigit(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One white-on-black crop of the given kind, before MNIST normalization."""
    c = _canvas(rng)
    thick = int(rng.integers(2, 7))
    if kind == "letter":
        font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX,
                               cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_COMPLEX]))
        cv2.putText(c, str(rng.choice(list(LETTERS))), (10, 50), font, 1.8, 255, thick, cv2.LINE_AA)
    elif kind == "punctuation":
        cv2.putText(c, str(rng.choice(list(PUNCTUATION))), (14, 48), cv2.FONT_HERSHEY_SIMPLEX,
                    float(rng.uniform(1.2, 2.2)), 255, thick, cv2.LINE_AA)
    elif kind == "stroke":  # underlines, rules, box edges
        x0, y0, x1, y1 = (int(v) for v in rng.integers(2, 62, 4))
        cv2.line(c, (x0, y0), (x1, y1), 255, thick, cv2.LINE_AA)
    elif kind == "blob":
        center = tuple(int(v) for v in rng.integers(20, 44, 2))
        axes = tuple(int(v) for v in rng.integers(6, 24, 2))
        cv2.ellipse(c, center, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1, cv2.LINE_AA)
    elif kind == "noise":
        c = ((rng.random(c.shape) < rng.uniform(0.05, 0.3)) * 255).astype(np.uint8)
    elif kind == "scribble":
        pts = rng.integers(4, 60, size=(int(rng.integers(6, 14)), 2)).astype(np.int32)
        cv2.polylines(c, [pts], False, 255, thick, cv2.LINE_AA)
    else:
        raise ValueError(f"unknown non-digit kind {kind!r}")
    return c


def make_nondigits(n: int, seed: int = NONDIGIT_SEED) -> tuple[np.ndarray, list[str]]:
    """n non-digit 28x28 crops (normalized like the engine's) and their kinds, round robin."""
    rng = np.random.default_rng(seed)
    kinds = [NONDIGIT_KINDS[i % len(NONDIGIT_KINDS)] for i in range(n)]
    crops = [normalize_digit(_draw_nondigit(k, rng)) for k in kinds]
    if not crops:
        return np.zeros((0, 28, 28), np.uint8), []
    return np.stack(crops), kinds


def training_nondigits(n: int, donors: np.ndarray, donor_labels: np.ndarray,
                       seed: int = NONDIGIT_SEED) -> tuple[np.ndarray, list[str]] | None:
    """n crops from the classifier engineer's training generator (training/nondigits.py) with a
    seed of our own and MNIST-TEST donors (never trained on), or None when it is not there."""
    try:
        from training.nondigits import make_nondigit
    except ImportError:
        return None
    rng = np.random.default_rng(seed + 1)
    pairs = [make_nondigit(rng, donors, donor_labels) for _ in range(n)]
    if not pairs:
        return np.zeros((0, 28, 28), np.uint8), []
    return np.stack([p[0] for p in pairs]), [p[1] for p in pairs]


def heldout_nondigits(n: int, donors: np.ndarray, donor_labels: np.ndarray,
                      seed: int = NONDIGIT_SEED) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Two held-out non-digit sets: 'like training' (the training generator, new seed) when it
    exists, and 'unseen kinds' (letters, symbols, scribbles: shapes the generator never makes)."""
    sets = {}
    like_training = training_nondigits(n // 2, donors, donor_labels, seed)
    if like_training is not None:
        sets["like training (training/nondigits.py, new seed)"] = like_training
    sets["unseen kinds (letters, symbols, scribbles)"] = make_nondigits(n - n // 2 if sets else n, seed)
    return sets


# --- scaling pages ----------------------------------------------------------------------------

def digits_page(n_digits: int, mnist_images: np.ndarray, size: tuple[int, int] = (1280, 720),
                seed: int = 7, digit_px: int = 40) -> np.ndarray:
    """White BGR page of `size` with n MNIST digits (dark ink) on a regular grid of rows."""
    width, height = size
    page = np.full((height, width), 255, np.uint8)
    rng = np.random.default_rng(seed)
    pitch_x, pitch_y = int(digit_px * 1.4), int(digit_px * 1.8)
    cols = max(1, (width - digit_px) // pitch_x)
    rows = max(1, (height - digit_px) // pitch_y)
    if n_digits > cols * rows:
        raise ValueError(f"{n_digits} digits do not fit a {width}x{height} page ({cols * rows} max)")
    picks = rng.choice(len(mnist_images), size=n_digits, replace=False)
    for i, idx in enumerate(picks):
        r, col = divmod(i, cols)
        glyph = cv2.resize(mnist_images[idx], (digit_px, digit_px), interpolation=cv2.INTER_LINEAR)
        y, x = pitch_y // 2 + r * pitch_y, pitch_x // 2 + col * pitch_x
        region = page[y:y + digit_px, x:x + digit_px]
        np.minimum(region, 255 - glyph, out=region)
    return cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)


def resize_to_width(image: np.ndarray, width: int) -> np.ndarray:
    h, w = image.shape[:2]
    height = max(1, round(h * width / w))
    interp = cv2.INTER_AREA if width < w else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interp)
