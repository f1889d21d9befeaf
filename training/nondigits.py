"""Generate what the segmenter hands the classifier that is NOT a digit (class 10).

Dots, commas, dashes, slashes, ruled-line / underline fragments, paper texture and noise blobs,
halves of digits, two touching digits, digits cut by the crop edge. Each generator returns a
white-on-black glyph at a realistic pixel size; `make_nondigit` degrades, binarizes and
normalizes it exactly like a digit sample (training/augment.py), so the only difference the
model can learn is the shape.
"""
from __future__ import annotations

import cv2
import numpy as np

from realtime.normalize import normalize_digit
from training.augment import (
    elastic,
    ink_crop,
    photographed,
    random_affine,
    render_glyph,
    upscale_to_height,
)

NONDIGIT_BINARIZE = 0.85  # share of generated non-digits (and letters) binarized; the rest grey

# Halves that still look like a digit are NOT non-digits (top of an 8 is a 0, a cut 1 is a 1,
# the right part of a 4 or 9 is a 1, ...). (digit, side) pairs listed here are never used.
AMBIGUOUS_CUTS = {
    *((1, side) for side in ("top", "bottom", "left", "right")),
    (8, "top"), (8, "bottom"), (9, "top"), (6, "bottom"), (7, "bottom"), (7, "right"),
    (4, "right"), (9, "right"), (3, "right"), (0, "top"), (0, "bottom"), (2, "bottom"),
    (5, "bottom"), (6, "top"), (9, "bottom"),
}


def _canvas(h: int, w: int) -> np.ndarray:
    return np.zeros((max(1, h), max(1, w)), np.uint8)


def dot(rng: np.random.Generator) -> np.ndarray:
    r = int(rng.integers(2, 9))
    img = _canvas(4 * r, 4 * r)
    axes = (r, max(1, int(r * rng.uniform(0.6, 1.3))))
    cv2.ellipse(img, (2 * r, 2 * r), axes, rng.uniform(0, 180), 0, 360, 255, -1)
    return img


def comma(rng: np.random.Generator) -> np.ndarray:
    r = int(rng.integers(2, 7))
    img = _canvas(8 * r, 5 * r)
    cv2.circle(img, (3 * r, 2 * r), r, 255, -1)
    tail = np.array([[3 * r + r // 2, 2 * r], [int(3 * r - rng.uniform(0.5, 2) * r),
                                               int(2 * r + rng.uniform(2.5, 5.5) * r)]])
    cv2.line(img, tuple(int(v) for v in tail[0]), tuple(int(v) for v in tail[1]), 255,
             max(1, r // 2 + 1))
    return img


def stroke_line(length: int, angle_deg: float, thickness: int, curve: float,
                rng: np.random.Generator) -> np.ndarray:
    """A (slightly curved, slightly wavy) stroke of given length and angle from horizontal."""
    n = 24
    t = np.linspace(-0.5, 0.5, n)
    ys = curve * length * (t ** 2 - 0.25) + rng.normal(0, 0.01 * length, n)
    pts = np.stack([t * length, ys], axis=1)
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    pts = pts @ rot.T
    pts -= pts.min(axis=0) - thickness - 2
    size = (pts.max(axis=0) + thickness + 3).astype(int)
    img = _canvas(size[1], size[0])
    cv2.polylines(img, [pts.astype(np.int32)], False, 255, thickness, cv2.LINE_AA)
    return img


def dash(rng: np.random.Generator) -> np.ndarray:
    length = int(rng.integers(8, 60))
    return stroke_line(length, rng.uniform(-20, 20), int(rng.integers(1, max(2, length // 4))),
                       rng.uniform(-0.3, 0.3), rng)


def slash(rng: np.random.Generator) -> np.ndarray:
    # steeper than ~50 deg from horizontal would be a slanted "1"
    angle = rng.uniform(20, 48) * (1 if rng.random() < 0.5 else -1)
    length = int(rng.integers(15, 100))
    return stroke_line(length, angle, int(rng.integers(1, max(2, length // 10))),
                       rng.uniform(-0.15, 0.15), rng)


def ruled_line(rng: np.random.Generator, donors: np.ndarray) -> np.ndarray:
    """A long thin horizontal line, sometimes with the bottoms of glyphs sitting on it."""
    length = int(rng.integers(40, 300))
    img = stroke_line(length, rng.uniform(-5, 5), int(rng.integers(1, 5)),
                      rng.uniform(-0.05, 0.05), rng)
    if rng.random() < 0.4:
        glyph = render_glyph(donors[rng.integers(len(donors))], rng)
        gh, gw = glyph.shape
        keep = max(1, int(gh * rng.uniform(0.1, 0.3)))
        part = glyph[gh - keep:]
        h, w = img.shape
        canvas = _canvas(h + keep, max(w, gw))
        canvas[keep:, :w] = img
        x0 = int(rng.integers(0, max(1, w - gw + 1)))
        region = canvas[: keep, x0:x0 + gw]
        canvas[: keep, x0:x0 + gw] = np.maximum(region, part[:, :region.shape[1]])
        img = canvas
    return img


def noise_blob(rng: np.random.Generator) -> np.ndarray:
    """Paper texture / smudge: thresholded smooth noise."""
    h, w = int(rng.integers(10, 80)), int(rng.integers(10, 80))
    field = cv2.GaussianBlur(rng.uniform(0, 255, (h, w)).astype(np.float32), (0, 0),
                             rng.uniform(0.8, 4))
    level = np.quantile(field, rng.uniform(0.6, 0.92))
    return np.where(field > level, 255, 0).astype(np.uint8)


def guilloche(rng: np.random.Generator) -> np.ndarray:
    """A few fine parallel wavy lines, like the printed background of a cheque."""
    h, w = int(rng.integers(15, 70)), int(rng.integers(15, 90))
    img = _canvas(h, w)
    freq, phase, amp = rng.uniform(0.03, 0.15), rng.uniform(0, 6.3), rng.uniform(2, 10)
    xs = np.arange(w)
    for k in range(int(rng.integers(2, 7))):
        y0 = rng.uniform(0, h)
        ys = y0 + amp * np.sin(freq * xs + phase + 0.3 * k)
        pts = np.stack([xs, ys], axis=1).astype(np.int32)
        cv2.polylines(img, [pts], False, 255, 1, cv2.LINE_AA)
    return img


def cut_digit(rng: np.random.Generator, donors: np.ndarray, donor_labels: np.ndarray,
              keep_range: tuple[float, float] = (0.35, 0.6)) -> np.ndarray | None:
    """A digit cut by the crop edge (or half a digit); None when the cut would still be a digit."""
    i = int(rng.integers(len(donors)))
    side = ("top", "bottom", "left", "right")[int(rng.integers(4))]
    if (int(donor_labels[i]), side) in AMBIGUOUS_CUTS:
        return None
    glyph = ink_crop(render_glyph(donors[i], rng))
    h, w = glyph.shape
    keep = rng.uniform(*keep_range)
    if side == "top":
        return glyph[: max(1, int(h * keep))]
    if side == "bottom":
        return glyph[h - max(1, int(h * keep)):]
    if side == "left":
        return glyph[:, : max(1, int(w * keep))]
    return glyph[:, w - max(1, int(w * keep)):]


def touching_pair(rng: np.random.Generator, donors: np.ndarray) -> np.ndarray:
    """Two digits side by side, touching or overlapping a little: one crop, not one digit."""
    height = int(np.exp(rng.uniform(np.log(15), np.log(100))))
    a = ink_crop(render_glyph(donors[rng.integers(len(donors))], rng, height))
    b = ink_crop(render_glyph(donors[rng.integers(len(donors))], rng, height))
    b = upscale_to_height(b, max(1, int(a.shape[0] * rng.uniform(0.8, 1.2))))
    overlap = int(rng.uniform(-0.05, 0.25) * min(a.shape[1], b.shape[1]))
    h = max(a.shape[0], b.shape[0])
    w = a.shape[1] + b.shape[1] - overlap
    canvas = _canvas(h, w)
    canvas[h - a.shape[0]:, : a.shape[1]] = a
    x0 = a.shape[1] - overlap
    region = canvas[h - b.shape[0]:, x0:x0 + b.shape[1]]
    canvas[h - b.shape[0]:, x0:x0 + b.shape[1]] = np.maximum(region, b)
    return canvas


GENERATORS = ("dot", "comma", "dash", "slash", "ruled_line", "noise_blob", "guilloche",
              "cut_digit", "touching_pair")
# relative frequency of each kind in the generated set
WEIGHTS = np.array([1.0, 1.0, 1.2, 1.0, 1.0, 1.0, 0.8, 2.0, 1.5])


def raw_nondigit(kind: str, rng: np.random.Generator, donors: np.ndarray,
                 donor_labels: np.ndarray) -> np.ndarray | None:
    if kind == "dot":
        return dot(rng)
    if kind == "comma":
        return comma(rng)
    if kind == "dash":
        return dash(rng)
    if kind == "slash":
        return slash(rng)
    if kind == "ruled_line":
        return ruled_line(rng, donors)
    if kind == "noise_blob":
        return noise_blob(rng)
    if kind == "guilloche":
        return guilloche(rng)
    if kind == "cut_digit":
        return cut_digit(rng, donors, donor_labels)
    if kind == "touching_pair":
        return touching_pair(rng, donors)
    raise ValueError(f"unknown non-digit kind {kind!r}")


def make_nondigit(rng: np.random.Generator, donors: np.ndarray,
                  donor_labels: np.ndarray) -> tuple[np.ndarray, str]:
    """One normalized 28x28 non-digit sample and its kind."""
    while True:
        kind = GENERATORS[rng.choice(len(GENERATORS), p=WEIGHTS / WEIGHTS.sum())]
        img = raw_nondigit(kind, rng, donors, donor_labels)
        if img is None or not img.any():
            continue
        if kind in ("dot", "comma", "dash", "noise_blob", "guilloche"):
            img = random_affine(cv2.copyMakeBorder(img, 2, 2, 2, 2, cv2.BORDER_CONSTANT, value=0),
                                rng, rotation=10, shear=0.2, aspect=(0.8, 1.25))
        out = normalize_digit(photographed(img, rng, NONDIGIT_BINARIZE))
        if out.any():
            return out, kind


# --- letters -----------------------------------------------------------------------------------
# Words beside numbers ("Total", "kWh", "No.") are the non-digits a camera meets most on forms and
# meters, and without letters in training the model read each one as some digit. Only letters
# no handwritten digit resembles are rejected: o/O/D/Q (0), I/l/i/j/J/L/T (1, 7), Z/z (2),
# S/s (5), b/G (6), B (8), g/q/a/P (9), r (a flagged 1), C/c/U/u/Y/y/t/f/d/p/h (open or partial shapes of
# digits) are left out. Training draws them in some of OpenCV's Hershey faces; held-out sets
# (and realtime.bench_data's "unseen kinds") in the others.
LETTERS = "AEFHKMNRVWXekmnvwx"
TRAIN_LETTER_FONTS = (cv2.FONT_HERSHEY_PLAIN, cv2.FONT_HERSHEY_TRIPLEX,
                      cv2.FONT_HERSHEY_COMPLEX_SMALL, cv2.FONT_HERSHEY_SCRIPT_COMPLEX)
HELDOUT_LETTER_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX,
                        cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX)


def letter(rng: np.random.Generator, fonts=TRAIN_LETTER_FONTS) -> np.ndarray:
    """One letter of LETTERS in one of `fonts` (upright or italic), at a random stroke width,
    then slanted, stretched and warped like handwriting."""
    font = int(fonts[rng.integers(len(fonts))]) | (cv2.FONT_ITALIC if rng.random() < 0.3 else 0)
    scale = float(rng.uniform(1.5, 3.0))
    thickness = int(rng.integers(1, 6))
    canvas = _canvas(160, 160)
    cv2.putText(canvas, str(rng.choice(list(LETTERS))), (30, 115), font, scale, 255, thickness,
                cv2.LINE_AA)
    img = random_affine(ink_crop(canvas, pad=2), rng, rotation=12, shear=0.3)
    if rng.random() < 0.5:
        img = elastic(img, rng)
    return upscale_to_height(ink_crop(img), int(rng.integers(15, 90)))


def make_letter(rng: np.random.Generator, fonts=TRAIN_LETTER_FONTS) -> np.ndarray:
    """One normalized 28x28 letter sample, degraded and binarized like every other sample."""
    while True:
        out = normalize_digit(photographed(letter(rng, fonts), rng, NONDIGIT_BINARIZE))
        if out.any():
            return out
