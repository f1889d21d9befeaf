"""Light and polarity: estimate the paper (or board) brightness everywhere, divide it out, and
decide whether the ink is darker (paper, whiteboard) or lighter (blackboard) than it.

The background is a large median filter on a shrunken copy: ink covers well under half of any
window, so the median is the paper, and unlike a blur or a closing the median keeps the sharp
edge of a hard shadow.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from realtime.components import label_components

# Background window as a fraction of the longer side (and at least this many working pixels);
# bigger than the thickest stroke.
BACKGROUND_WINDOW = 1 / 12
MIN_BACKGROUND_WINDOW = 31
BACKGROUND_METHOD = "median"
LIFT = 3
SHORT_SIDE_WINDOW = 0.0
# A window that holds more ink than paper (a crop as tall as its thick digits) makes the median
# part ink: the paper then reads brighter than its "background" and the page looks like a noise
# field. The engine then tries once more with a window this much wider.
WIDE_WINDOW_SCALE = 2.0
# The noise map is only sampled (binarize's thresholds): at every NOISE_STEP-th pixel of each
# row and column, every BIG_NOISE_STEP-th on images of BIG_NOISE_PIXELS or more (a 1280 x 720
# page: 57,600 samples, and 0.37 ms less; on a cheque crop every 4th pixel left too few: ORAND
# training 90.3 -> 89.7 %, where synthetic pages read the same)
NOISE_STEP = 2
BIG_NOISE_STEP = 4
BIG_NOISE_PIXELS = 400_000


def noise_step(shape) -> int:
    """The sampling step of the noise map (and of the ink map compared with it) for an image."""
    return BIG_NOISE_STEP if shape[0] * shape[1] >= BIG_NOISE_PIXELS else NOISE_STEP


def _shrink(gray: np.ndarray, window: float) -> tuple[np.ndarray, int]:
    """Shrink so that `window` is ~21 px: cheap filters, and fine enough for shadow edges."""
    h, w = gray.shape
    factor = max(1, int(window // 21))
    if factor == 1:
        return gray, 1
    if factor % 2 and h % factor == 0 and w % factor == 0:
        # an exact odd step (a 1280 x 720 page by 5): each block's mean, rounded, as the area
        # resize gives it (no block's mean lies halfway), from a box filter read at every
        # factor-th pixel: OpenCV's box filter is vectorised, its area resize ~2x slower
        return np.ascontiguousarray(cv2.blur(gray, (factor, factor), anchor=(0, 0))[::factor, ::factor]), factor
    return cv2.resize(gray, (max(1, w // factor), max(1, h // factor)),
                      interpolation=cv2.INTER_AREA), factor


def estimate_background(gray: np.ndarray, dark_ink: bool = True,
                        window_scale: float = 1.0) -> np.ndarray:
    """Gray uint8 -> paper (or board) brightness map, same size. `window_scale` widens the
    window (see WIDE_WINDOW_SCALE).

    A grey-level closing (opening for light ink) with a window wider than any stroke: it
    removes the ink and keeps everything broader, and unlike a blur it keeps the sharp edge of
    a hard shadow in place.
    """
    h, w = gray.shape
    window = window_scale * max(MIN_BACKGROUND_WINDOW, max(h, w) * BACKGROUND_WINDOW,
                                min(h, w) * SHORT_SIDE_WINDOW)
    small, factor = _shrink(gray, window)
    small = cv2.blur(small, (3, 3))  # the closing would otherwise pick the brightest noise
    k = max(3, int(window / factor) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    if BACKGROUND_METHOD == "median":
        bg = cv2.medianBlur(small, min(k, 255))
    elif BACKGROUND_METHOD == "lifted-median":
        # thin dark strokes and texture out first (a small closing), then the median: the
        # paper level rather than the mid-level of paper, texture and ink
        lift = cv2.dilate if dark_ink else cv2.erode
        bg = cv2.medianBlur(lift(small, np.ones((LIFT, LIFT), np.uint8)), min(k, 255))
    else:
        op = cv2.MORPH_CLOSE if dark_ink else cv2.MORPH_OPEN
        bg = cv2.morphologyEx(small, op, kernel, borderType=cv2.BORDER_REPLICATE)
    bg = cv2.blur(bg, (3, 3))
    if bg.shape == gray.shape:
        return bg
    edges = hard_edges(bg)
    bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
    if edges is not None:
        bg = sharpen_edges(gray, bg, edges, dark_ink, window)
    return bg


# A hard shadow's edge: the shrunken background steps by at least this much (grey levels)
# across 3 pixels. The shrink and the median smear it over a few working pixels, where the
# background on the shadow side then reads too bright and the shadow itself becomes "ink" (a
# thick strip that swallows the digits it touches).
SHADOW_STEP = 16
SHADOW_EDGE_LENGTH = 0.25  # ... and runs at least this share of the image's longer side
EDGE_BAND = 5  # px of the shrunken image around such a step that are estimated again finely


def hard_edges(small_bg: np.ndarray) -> np.ndarray | None:
    """Bool mask (shrunken image) of the band around hard steps of the background, or None."""
    step = cv2.morphologyEx(small_bg, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    edges = (step >= SHADOW_STEP).view(np.uint8)
    if not edges.any():
        return None
    # a shadow's edge runs across much of the image; a big bold digit steps the median too
    n, labels, stats, _ = label_components(edges)
    extent = np.maximum(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])
    long_ids = np.nonzero(extent >= SHADOW_EDGE_LENGTH * max(small_bg.shape))[0] + 1
    if long_ids.size == 0:
        return None
    edges = np.isin(labels, long_ids).view(np.uint8)
    return cv2.dilate(edges, np.ones((EDGE_BAND, EDGE_BAND), np.uint8)).view(bool)


def sharpen_edges(gray: np.ndarray, bg: np.ndarray, edges: np.ndarray, dark_ink: bool,
                  window: float) -> np.ndarray:
    """The background `bg` (changed in place and returned) near hard steps (`edges`, a mask of
    the shrunken image) from a grey closing (an opening for light ink): it removes strokes
    thinner than a quarter window and keeps a step exactly where it is; where it is darker
    than the smeared background (brighter, for light ink), it is the paper's level there, and
    along a sheet's edge on a table (sheet_edge) it is the level on both sides."""
    h, w = gray.shape
    k = max(3, int(window / 4) | 1)
    op = cv2.MORPH_CLOSE if dark_ink else cv2.MORPH_OPEN
    kernel = np.ones((k, k), np.uint8)
    small = edges.view(np.uint8)
    rows_from, cols_from = nearest_sources(h, small.shape[0]), nearest_sources(w, small.shape[1])
    # (full size: a half-size closing scaled up leaves a staircase of specks along a slanted
    # edge.) Closed only near the band, strip by strip: a closing's value at a pixel depends
    # on the pixels within k of it, so a window reaching k past the strip's band gives exactly
    # the full image's values there. The band itself is made full size only in each strip's
    # box (a page-size nearest-neighbour resize alone cost 0.5 ms; the page-size closing 0.9)
    for top in range(0, h, BAND_STRIP):
        src_rows = rows_from[top:top + BAND_STRIP]
        sx, _, sw, _ = cv2.boundingRect(small[src_rows[0]:src_rows[-1] + 1])
        if sw == 0:
            continue
        c0, c1 = np.searchsorted(cols_from, [sx, sx + sw])
        if c1 <= c0:
            continue  # (only when shrinking, which the background never is)
        band = small[src_rows][:, cols_from[c0:c1]]
        bx, by, bw, bh = cv2.boundingRect(band)
        if bw == 0:
            continue
        x, y = c0 + bx, top + by
        x0, y0, x1, y1 = max(0, x - k), max(0, y - k), min(w, x + bw + k), min(h, y + bh + k)
        local = cv2.morphologyEx(gray[y0:y1, x0:x1], op, kernel, borderType=cv2.BORDER_REPLICATE)
        local = local[y - y0:y - y0 + bh, x - x0:x - x0 + bw]
        own = bg[y:y + bh, x:x + bw]  # (a view: written in place)
        in_band = band[by:by + bh, bx:bx + bw].view(bool)
        if sheet_edge(local[in_band], dark_ink):
            refined = local
        else:
            refined = np.minimum(own, local) if dark_ink else np.maximum(own, local)
        np.copyto(own, refined, where=in_band)
    return bg


BAND_STRIP = 128  # rows of the image whose shadow edge band sharpen_edges closes at once

# A sheet photographed on a darker table is a step far deeper than a shadow's (a shadow keeps
# 0.45-0.7 of the light; a dark table is 0.1-0.4 of the sheet): on its bright side the smeared
# background is too dark, the sheet's border reads as "brighter than the paper" all along, and
# the page looked like a noise field (a sheet filling 80 % of the frame on a black table read
# nothing). Where the closing's dark level (5th percentile in the band) is under SHEET_EDGE x
# its bright level (95th), it is the background on both sides.
SHEET_EDGE = 0.4


def sheet_edge(closed: np.ndarray, dark_ink: bool) -> bool:
    """Is a band's step (`closed`: the grey closing's values in it) a sheet's edge on a table
    rather than a shadow's (see SHEET_EDGE)?"""
    if closed.size == 0:
        return False
    # (np.percentile's numbers read off the histogram: ~100 us less on a band's pixels)
    counts = cv2.calcHist([closed], [0], None, [256], [0, 256]).ravel()
    lo, hi = percentiles_from_counts(counts, [5, 95])
    if not dark_ink:  # (chalk: the board is the dark side of a light step)
        lo, hi = 255 - hi, 255 - lo
    return bool(lo < SHEET_EDGE * hi)


def nearest_sources(n_out: int, n_in: int) -> np.ndarray:
    """Source index of each of `n_out` pixels when `n_in` are resized to `n_out` by OpenCV's
    nearest-neighbour resize (its arithmetic: floor(i * (1 / (n_out / n_in))))."""
    return np.minimum(np.floor(np.arange(n_out) * (1.0 / (n_out / n_in))).astype(np.intp),
                      n_in - 1)


# The thumbnail's dark/light tail ratio is trusted outside this band; inside it (small digits
# that the shrink blurs away, or a hard shadow's edge about as strong as the ink) the decision
# is taken again from the unshrunk sample with more extreme percentiles. The band is lopsided
# because a guess just above 1 was right on every tuning page (synthetic seeds 5000-5299) while
# every wrong guess but one lay in 0.6 .. 1.0. Its low end was 0.6 until 2026-12-05: three
# small digits inside a hard shadow (benchmark page 1017) read 0.5 and were taken for chalk,
# the shadow's edge for its strokes; at 0.4 the tuning sets read the same.
UNCERTAIN_TAIL_RATIO = (0.4, 1.1)


def ink_is_dark(gray: np.ndarray) -> bool:
    """True for dark ink on light paper; False for light chalk/marker on a dark board.

    Ink is the minority that stands out from the paper: after removing the slow light
    variation (a coarse median), the tail of the brightness distribution on the ink's side is
    the longer one.
    """
    return ink_polarity(gray)[0]


def ink_polarity(gray: np.ndarray) -> tuple[bool, bool]:
    """(dark ink?, in doubt?): ink_is_dark's guess, and whether the thumbnail's tails were in
    UNCERTAIN_TAIL_RATIO (the guess then rests on the unshrunk sample's extreme tails, which
    a page of a few small digits and textured paper can tip either way)."""
    step = max(1, max(gray.shape) // 320)  # every step-th pixel: plenty for a few percentiles
    sub = gray[::step, ::step]
    dark_tail, light_tail = residual_tails(sub, shrink=True, tail_pct=0.5)
    low, high = UNCERTAIN_TAIL_RATIO
    in_doubt = low * light_tail <= dark_tail <= high * light_tail
    if in_doubt:
        dark_tail, light_tail = residual_tails(sub, shrink=False, tail_pct=0.1)
    return bool(dark_tail >= light_tail), bool(in_doubt)


def residual_tails(sub: np.ndarray, shrink: bool, tail_pct: float) -> tuple[float, float]:
    """(dark, light) tail lengths of the brightness after a coarse median is taken out: the
    median minus the tail_pct-th percentile, and the (100 - tail_pct)-th minus the median."""
    h, w = sub.shape
    window = max(MIN_BACKGROUND_WINDOW, max(h, w) / 4)
    small, factor = _shrink(sub, window) if shrink else (sub, 1)
    k = max(3, min(255, int(window / factor) | 1))
    coarse = cv2.medianBlur(small, k)
    residual = small.astype(np.int16) - coarse.astype(np.int16)  # -255 .. 255
    # (the thumbnail's guess only: a corner region left out of the full sample's close call
    # tipped a page of three small digits in a hard shadow, benchmark page 1017, to chalk)
    counted = ~regions_not_strokes(residual) if shrink else np.ones(residual.shape, bool)
    near_step = hard_edges(coarse)
    if near_step is not None and near_step.mean() < 0.5:
        # a hard shadow's edge: the smeared median leaves a long tail on both sides there
        counted &= ~near_step
    residual = residual[counted]
    counts = np.bincount((residual + 255).ravel().astype(np.intp), minlength=511)
    lo, mid, hi = percentiles_from_counts(counts, [tail_pct, 50, 100 - tail_pct], offset=-255)
    return float(mid - lo), float(hi - mid)


# Ink is strokes; a blob of same-signed residual wider than a stroke is a region: the corners
# of a sheet or a sticky note smaller than the median's window, where the median flips to the
# darker desk round it, left a long light tail in the thumbnail, and a dark-ink note was taken
# for chalk, surely, and read nothing (a yellow note on a desk, 45 % of the frame: 0 of 8 probe
# pages; a white card on wood, 35 %: 0 of 4). Left out of the thumbnail's tails (residuals
# over REGION_LEVEL, and 4 x their median size, that survive an opening of REGION_OPEN px
# square), they make the guess a close call, which reads both signs: 8 of 8 and 3 of 4.
REGION_OPEN = 3
REGION_LEVEL = 6


def regions_not_strokes(residual: np.ndarray, width: int = REGION_OPEN) -> np.ndarray:
    """Bool mask of the residual's blobs of one sign that an opening `width` px square keeps
    (and a pixel round them): regions, not strokes (see REGION_OPEN)."""
    size = np.abs(residual).ravel()
    usual = float(percentiles_from_counts(np.bincount(size, minlength=256), [50])[0])  # median
    level = max(REGION_LEVEL, 4 * (usual + 1.0))
    kernel = np.ones((width, width), np.uint8)
    regions = np.zeros(residual.shape, bool)
    for strong in (residual > level, residual < -level):
        if strong.any():
            regions |= cv2.morphologyEx(strong.view(np.uint8), cv2.MORPH_OPEN, kernel).view(bool)
    if regions.any():
        regions = cv2.dilate(regions.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
    return regions


def percentiles_from_counts(counts: np.ndarray, qs, offset: int = 0) -> np.ndarray:
    """np.percentile(values, qs) (its default linear method, same arithmetic) of integer values
    given as a histogram: counts[i] = how many values equal i + offset. Reading the order statistics off
    the cumulative counts is ~10x faster than numpy's partition of the values; the few
    quantiles are worked out one by one in plain floats (numpy's calls on 1-element arrays cost
    more than the arithmetic: the printed-text strips ask for one quantile ~8 times a page)."""
    cum = np.asarray(counts).cumsum()
    n = int(cum[-1])
    if n == 0:
        raise ValueError("percentiles of no values")
    out = []
    for q in (qs if isinstance(qs, (list, tuple)) else np.atleast_1d(qs).tolist()):
        virtual = (n - 1) * (float(q) / 100)  # numpy's virtual index for its linear method
        below = math.floor(virtual)
        gamma = virtual - below
        k_below = min(max(int(below), 0), n - 1)
        k_above = min(k_below + 1, n - 1)
        if virtual >= n - 1:
            k_below = n - 1
        # the k-th smallest values: both looked up in one call
        a, b = cum.searchsorted((k_below, k_above), side="right").tolist()
        a, b = float(a + offset), float(b + offset)
        diff = b - a
        out.append(b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma)  # numpy's _lerp
    return np.array(out)


def contrast_maps(gray: np.ndarray, background: np.ndarray, dark_ink: bool) -> tuple[np.ndarray, np.ndarray]:
    """(ink, noise): contrast of each pixel against its background, 0 (paper) .. 255, for the
    ink's sign, and for the other sign (pure noise and texture, which sets the threshold floor)
    at every noise_step-th pixel of each row and column only (that is all binarize samples).

    Relative contrast (difference / background) makes a stroke in shadow as strong as the same
    stroke in light: illumination multiplies both. Both maps share the denominator so the noise
    is measured on the ink's scale.
    """
    step = noise_step(gray.shape)
    sub = np.s_[::step, ::step]
    return (contrast_map(gray, background, dark_ink, ink_side=True),
            contrast_map(np.ascontiguousarray(gray[sub]), np.ascontiguousarray(background[sub]),
                         dark_ink, ink_side=False))


def _scalar(like: np.ndarray, value: int):
    """`value` as an operand of OpenCV's per-element calls with `like`: the number itself, or
    for an array of at most 4 elements an array of it (OpenCV 5 takes such an array, with a
    number beside it, for a 4-element scalar and returns 4 x 1)."""
    return value if like.size > 4 else np.full_like(like, value)


def contrast_map(gray: np.ndarray, background: np.ndarray, dark_ink: bool, ink_side: bool) -> np.ndarray:
    """Contrast against the background of the ink's sign (ink_side) or of the other sign,
    0 .. 255, on the ink's scale (see contrast_maps)."""
    floor, full = _scalar(background, 40), _scalar(background, 255)
    if dark_ink:
        denom = cv2.max(background, floor)
    else:
        # chalk: contrast relative to the room left above the board, but never more than 2x
        # the board itself (a near-black board would make any speck full contrast)
        board = cv2.max(background, floor)
        denom = cv2.min(cv2.max(cv2.subtract(full, background), floor),
                        cv2.add(board, board))  # (saturating: a numpy * 2 wraps past 255)
    darker = dark_ink == ink_side
    diff = cv2.subtract(background, gray) if darker else cv2.subtract(gray, background)
    return cv2.divide(diff, denom, scale=255)


def ink_map(gray: np.ndarray, background: np.ndarray, dark_ink: bool) -> np.ndarray:
    """Contrast of the ink's sign, 0 (paper) .. 255 (full-contrast ink)."""
    return contrast_map(gray, background, dark_ink, ink_side=True)


def opposite_map(gray: np.ndarray, background: np.ndarray, dark_ink: bool) -> np.ndarray:
    """Contrast of the other sign on the ink's scale (noise and texture), full size."""
    return contrast_map(gray, background, dark_ink, ink_side=False)
