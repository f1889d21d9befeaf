"""Digit crop -> 28x28 MNIST-style image. The ONE normalization shared by training and run time.

MNIST digits were fitted into a 20x20 box keeping their aspect ratio, then placed in a 28x28
field so that their centre of mass sits at the centre. Doing exactly the same here (and in
training/) is what lets a model trained on MNIST read our segmenter's crops.
"""
from __future__ import annotations

import cv2
import numpy as np

MNIST_SIZE = 28
MNIST_BOX = 20
# Slant correction by image moments (OpenCV's digits.py). Training and run time must agree, so
# it is one constant here; augmentation with shear teaches the model slant instead.
DESKEW = False


def ink_bbox(ink: np.ndarray, level: int = 1) -> tuple[int, int, int, int] | None:
    """Tight (x, y, w, h) of pixels >= level, or None when there is no ink."""
    if level == 1 and ink.dtype == np.uint8 and ink.ndim == 2 and ink.size:
        x, y, w, h = cv2.boundingRect(ink)  # non-zero pixels; ~10x faster than np.nonzero
        return None if w == 0 else (int(x), int(y), int(w), int(h))
    ys, xs = np.nonzero(ink >= level)
    if xs.size == 0:
        return None
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    return int(x0), int(y0), int(x1 - x0 + 1), int(y1 - y0 + 1)


def deskew(ink: np.ndarray) -> np.ndarray:
    """Undo slant with the second-order moments (shear so the principal axis is vertical)."""
    m = cv2.moments(ink)
    if abs(m["mu02"]) < 1e-2:
        return ink
    skew = m["mu11"] / m["mu02"]
    h, w = ink.shape
    shear = np.float32([[1, skew, -0.5 * h * skew], [0, 1, 0]])
    # widen the canvas so the sheared strokes are not cut off
    pad = int(abs(skew) * h / 2) + 1
    padded = cv2.copyMakeBorder(ink, 0, 0, pad, pad, cv2.BORDER_CONSTANT, value=0)
    return cv2.warpAffine(padded, shear, (w + 2 * pad, h),
                          flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR)


def fit_box(ink: np.ndarray, box: int = MNIST_BOX) -> np.ndarray:
    """Scale the tight ink crop so its longer side is `box` pixels, keeping the aspect ratio."""
    h, w = ink.shape
    scale = box / max(h, w)
    new_w = max(1, min(box, round(w * scale)))
    new_h = max(1, min(box, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(ink, (new_w, new_h), interpolation=interp)


def center_by_mass(small: np.ndarray, size: int = MNIST_SIZE) -> np.ndarray:
    """Place `small` in a size x size field with its centre of mass at the centre."""
    out = np.zeros((size, size), np.uint8)
    h, w = small.shape
    # (uint8 as it is: its integer sums are exact, as are a float copy's, and the copy costs)
    m = cv2.moments(small if small.dtype == np.uint8 else small.astype(np.float32))
    if m["m00"] > 0:
        cx, cy = m["m10"] / m["m00"], m["m01"] / m["m00"]
    else:
        cx, cy = (w - 1) / 2, (h - 1) / 2
    x0 = int(round(size / 2 - 0.5 - cx))
    y0 = int(round(size / 2 - 0.5 - cy))
    # keep the whole glyph inside the field even if the mass is off-centre
    x0 = min(max(x0, 0), size - w)
    y0 = min(max(y0, 0), size - h)
    out[y0:y0 + h, x0:x0 + w] = small
    return out


def normalize_digit(ink: np.ndarray, deskew_slant: bool = DESKEW) -> np.ndarray:
    """Any-size crop, white ink on black (uint8, or bool mask) -> 28x28 uint8 as MNIST.

    An empty crop gives an all-black 28x28 image.
    """
    ink = np.asarray(ink)
    if ink.dtype == bool:
        ink = ink.astype(np.uint8) * 255
    elif ink.dtype != np.uint8:
        ink = np.clip(ink, 0, 255).astype(np.uint8)
    if ink.ndim != 2:
        raise ValueError(f"normalize_digit expects a 2-D crop, got shape {ink.shape}")
    bbox = ink_bbox(ink)
    if bbox is None:
        return np.zeros((MNIST_SIZE, MNIST_SIZE), np.uint8)
    x, y, w, h = bbox
    ink = ink[y:y + h, x:x + w]
    if deskew_slant:
        ink = deskew(ink)
        bbox = ink_bbox(ink)
        if bbox is not None:
            x, y, w, h = bbox
            ink = ink[y:y + h, x:x + w]
    return normalize_tight(ink)


def normalize_tight(ink: np.ndarray) -> np.ndarray:
    """normalize_digit of a uint8 crop already tight round its ink (non-zero in its first
    and last rows and columns), without deskewing: what it would crop is the whole of it."""
    return center_by_mass(fit_box(ink))


def normalize_batch(crops: list[np.ndarray], deskew_slant: bool = DESKEW) -> np.ndarray:
    """List of crops -> N x 28 x 28 uint8."""
    if not crops:
        return np.zeros((0, MNIST_SIZE, MNIST_SIZE), np.uint8)
    return np.stack([normalize_digit(c, deskew_slant) for c in crops])
