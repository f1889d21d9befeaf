"""Binarize the ink map: hysteresis threshold (strong seeds grow into faint connected strokes, so
pencil and thin strokes survive while isolated texture does not), then remove ruled lines,
underlines and box borders without eating the digits that touch them.
"""
from __future__ import annotations

import cv2
import numpy as np

# Never call anything weaker than this ink (0..255 contrast) a stroke, however clean the image.
MIN_LOW = 22
MIN_HIGH = 50


def thresholds(ink: np.ndarray, noise: np.ndarray) -> tuple[int, int]:
    """(low, high) thresholds on the ink map from its noise level and an Otsu split."""
    sample = noise[::2, ::2]
    noise_level = float(np.percentile(sample, 99)) if sample.size else 0.0
    low = max(MIN_LOW, int(noise_level * 1.2) + 4)
    ink_sample = ink[::2, ::2]
    strong = ink_sample[ink_sample > low]
    if strong.size >= 16:
        otsu, _ = cv2.threshold(strong.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        high = max(MIN_HIGH, low + 10, int(otsu))
    else:
        high = max(MIN_HIGH, low + 10)
    return low, min(high, 250)


def hysteresis(ink: np.ndarray, low: int, high: int) -> np.ndarray:
    """Pixels >= low that are 8-connected to a pixel >= high -> bool mask."""
    weak = (ink >= low).view(np.uint8)
    n, labels = cv2.connectedComponents(weak, connectivity=8)
    if n <= 1:
        return np.zeros(ink.shape, bool)
    seeds = labels[ink >= high]
    keep = np.zeros(n, bool)
    keep[seeds] = True
    keep[0] = False
    return keep[labels]


def binarize(ink: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Ink map -> bool stroke mask."""
    if ink.size == 0:
        return np.zeros(ink.shape, bool)
    low, high = thresholds(ink, noise)
    return hysteresis(ink, low, high)


# ---- long thin lines -------------------------------------------------------------------------

def column_runs(roi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column of a component mask: ink count, vertical span (0 = no ink), centre row."""
    h = roi.shape[0]
    count = np.count_nonzero(roi, axis=0)
    top = np.argmax(roi, 0)
    bottom = h - 1 - np.argmax(roi[::-1], 0)
    span = np.where(count > 0, bottom - top + 1, 0)
    return count, span, (top + bottom) / 2.0


def strip_horizontal_line(roi: np.ndarray, min_length: int = 20) -> bool:
    """If the component mask `roi` holds a long near-horizontal line, erase it in place.

    A line is a component that is, over most of its columns, one thin run, and whose thin part
    is much longer than whatever is attached to it (digits standing on a ruled line are a few
    columns each; a '7' is never 2.5 times longer than it is tall). The thin columns are cleared
    entirely; elsewhere only a band around the line fitted through them is cleared, so a digit
    touching the line keeps all but its bottom rows.
    """
    count, span, centre = column_runs(roi)
    has = span > 0
    n_has = int(has.sum())
    if n_has < min_length:
        return False
    thickness = float(np.median(span[has]))
    thin = has & (span <= 1.5 * thickness + 1) & (count >= 0.6 * span)
    n_thin = int(thin.sum())
    if n_thin < min_length or n_thin < 0.4 * n_has:
        return False
    fat = has & ~thin
    attached = float(np.percentile(span[fat], 90)) if fat.any() else thickness
    if n_thin < 2.5 * attached:
        return False
    xs = np.nonzero(thin)[0]
    coef = np.polyfit(xs, centre[xs], 2 if n_thin > 200 else 1)
    h, w = roi.shape
    x0, x1 = max(0, xs.min() - 2), min(w, xs.max() + 3)
    fit = np.polyval(coef, np.arange(x0, x1))
    half = thickness / 2 + 1.0
    band = np.abs(np.arange(h)[:, None] - fit[None, :]) <= half
    roi[:, x0:x1][band] = False
    roi[:, thin] = False
    return True


def remove_long_lines(mask: np.ndarray, typical_height: float = 0.0) -> np.ndarray:
    """Erase ruled lines, underlines and box sides (long thin components) from a bool mask.

    Near-horizontal lines are recognised by their own shape (see strip_horizontal_line). A
    vertical one must also be 2.5 `typical_height`s (the usual digit height) long, so that a
    tall thin '1' is never taken for a box side.
    """
    out = mask.copy()
    n, labels, stats, _ = cv2.connectedComponentsWithStats(out.view(np.uint8), connectivity=8)
    if n <= 1:
        return out
    widths, heights = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    min_vertical = max(20, 2.5 * typical_height) if typical_height > 0 else np.inf
    wide = (widths >= 20) & (widths >= 1.5 * heights)
    tall = (heights >= min_vertical) & (heights >= 1.5 * widths)
    for i in np.nonzero(wide | tall)[0] + 1:
        x, y, w, h = stats[i, :4]
        sl = (slice(y, y + h), slice(x, x + w))
        own = labels[sl] == i
        roi = own.copy()
        if w >= 1.5 * h:
            changed = strip_horizontal_line(roi)
        else:
            t = np.ascontiguousarray(roi.T)
            changed = strip_horizontal_line(t)
            roi = t.T
        if changed:
            region = out[sl]
            region[own] = False
            region |= roi
    return out
