"""Connected components of the stroke mask with their statistics, and the page's usual digit size."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import cv2
import numpy as np

from realtime import order_stats


@dataclass
class Components:
    """Connected ink components. Index i describes label value `ids[i]` in `labels`."""

    labels: np.ndarray   # int32 label image (0 = background)
    ids: np.ndarray      # label value of each kept component
    boxes: np.ndarray    # N x 4 int (x, y, w, h)
    areas: np.ndarray    # N ink pixels
    # x, y, w, h, area of each faint mark the threshold left out (weak ink with no strong pixel):
    # a light ruled line falls apart into such dashes (see binarize.strip_faint_lines)
    faint: np.ndarray = field(default_factory=lambda: np.zeros((0, 5), np.int64))

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def sides(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Each component's left, top, right and bottom (past its last pixel), worked out once:
        the sign tests ask for the components inside a box ~10 times a busy page."""
        x, y, w, h = (np.ascontiguousarray(c) for c in self.boxes.T)
        return x, y, x + w, y + h

    @cached_property
    def listed(self) -> tuple[list[int], list[list[int]]]:
        """(ids, boxes) as plain lists, made once: the sign tests pick out a few components
        ~10 times a busy page, where numpy's fancy indexing costs more than the picking."""
        return self.ids.tolist(), self.boxes.tolist()

    @property
    def centres(self) -> np.ndarray:
        """N x 2 float box centres (x, y)."""
        b = self.boxes.astype(np.float64)
        return np.stack([b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2], axis=1)

    def mask(self) -> np.ndarray:
        """Bool mask of the kept components."""
        if len(self.ids) == 0:
            return np.zeros(self.labels.shape, bool)
        keep = np.zeros(max(int(self.labels.max()), int(self.ids.max())) + 1, bool)
        keep[self.ids] = True
        return keep[self.labels]

    def own_mask(self, i: int) -> np.ndarray:
        """Bool mask, box-sized, of component i's own pixels (not those of others in its box)."""
        x, y, w, h = map(int, self.boxes[i].tolist())
        # (a Python int: a numpy int64 would make numpy widen the whole int32 window first,
        # ~30 us on a page-wide ruled line's box against ~5)
        return self.labels[y:y + h, x:x + w] == int(self.ids[i])

    def subset(self, keep: np.ndarray) -> Components:
        return Components(self.labels, self.ids[keep], self.boxes[keep], self.areas[keep],
                          self.faint)


# A mask with under this share of set pixels (and at least SPARSE_MIN_PIXELS) is labelled
# without OpenCV's statistics, which are then gathered from the set pixels' row runs (InkRuns):
# OpenCV's pass visits every pixel again, at 2-10 ns a pixel (OpenCV 5.1; labels alone: ~0.7
# ns), against ~30 ns an ink pixel gathered one by one (until 2026-12-06; 1280 x 720 speed pages
# then 1.7-2.0 ms -> 0.8-1.6 ms, 0.1-9.7 % ink). Down to 10,000 pixels (was 100,000 until
# 2026-12-05): what is left of a page-wide ruled line (a row of digits' feet, ~1200 x 60 px)
# took 0.3-0.5 ms, now ~0.1; on masks of a few thousand pixels OpenCV's is faster.
SPARSE_SHARE = 0.12
SPARSE_MIN_PIXELS = 10_000


@dataclass
class InkRuns:
    """A labelled mask's set pixels, row run by row run: `flat`, the flat index of every set
    pixel in raster order; run k is flat[starts[k]:ends[k]], pixels side by side on one row,
    all of label labels[k]. The statistics of a sparse mask come from its runs, a few per
    stroke crossing a row, rather than from every set pixel: labelling a ruled page's 90,000
    inked pixels with statistics took 2.3 ms pixel by pixel, 1.3 ms by runs (OpenCV's own
    statistics pass visits every pixel of the image, at 2-10 ns each)."""

    flat: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    labels: np.ndarray

    def any_at_least(self, values: np.ndarray, level: float, n: int) -> np.ndarray:
        """Per label (n of them): does any of its pixels hold `values` (one per set pixel, as
        `flat`) >= level?"""
        out = np.zeros(n, bool)
        if self.starts.size:
            out[self.labels[np.maximum.reduceat(values, self.starts) >= level]] = True
        return out


def ink_runs(mask_u8: np.ndarray, labels: np.ndarray,
             box: tuple[int, int, int, int] | None = None) -> InkRuns:
    """The set pixels of `mask_u8` as row runs (see InkRuns), with their `labels`. `box`
    (x, y, w, h), if given, holds every set pixel: only it is searched."""
    w = mask_u8.shape[1]
    x0, y0, bw, bh = box if box is not None else (0, 0, w, mask_u8.shape[0])
    found = cv2.findNonZero(mask_u8[y0:y0 + bh, x0:x0 + bw])
    xy = found.reshape(-1, 2) if found is not None else np.zeros((0, 2), np.int32)
    xs, ys = xy[:, 0] + x0, xy[:, 1] + y0
    flat = ys.astype(np.intp) * w + xs
    # a run starts where the next set pixel is not the one beside it, and at a row's start
    # (written out: np.diff's prepend copies the array, ~0.1 ms on a ruled page's ink)
    breaks = np.ones(flat.size, bool)
    np.not_equal(flat[1:] - flat[:-1], 1, out=breaks[1:])
    breaks |= xs == 0
    starts = np.flatnonzero(breaks)
    ends = np.append(starts[1:], flat.size)
    return InkRuns(flat, starts, ends, labels.ravel()[flat[starts]])


# A sparse mask's ink often fills a small part of the image (a number in the middle of a
# camera frame): the labelling then runs on the box round the ink alone, when that box is under
# INK_BOX_SHARE of the image, and writes into a zeroed label image (1280 x 720 speed pages:
# 0.6 ms -> 0.1-0.45 ms on the 26 of 40 pages whose ink box is that small).
INK_BOX_SHARE = 0.75


def labels_in_ink_box(mask_u8: np.ndarray) -> tuple[int, np.ndarray, tuple[int, int, int, int]]:
    """(n, labels int32, box x, y, w, h holding every set pixel) of OpenCV's 8-connected Grana
    labelling of `mask_u8`, the same label numbers as labelling the whole image."""
    h, w = mask_u8.shape[:2]
    x, y, bw, bh = cv2.boundingRect(mask_u8)
    # (Grana scans 2 x 2 blocks: a box from an even row and column numbers the labels in the
    # same order as the whole image does)
    bw, bh, x, y = bw + (x & 1), bh + (y & 1), x & ~1, y & ~1
    if bw * bh >= INK_BOX_SHARE * h * w or bw == 0:
        n, labels = cv2.connectedComponentsWithAlgorithm(mask_u8, 8, cv2.CV_32S, cv2.CCL_GRANA)
        return n, labels, (0, 0, w, h)
    labels = np.zeros((h, w), np.int32)
    inside = labels[y:y + bh, x:x + bw]
    n, got = cv2.connectedComponentsWithAlgorithm(mask_u8[y:y + bh, x:x + bw], 8, cv2.CV_32S,
                                                  cv2.CCL_GRANA, labels=inside)
    if not np.shares_memory(got, labels):  # (OpenCV wrote elsewhere: copied in)
        inside[...] = got
    return n, labels, (x, y, bw, bh)


def label_components(mask_u8: np.ndarray):
    """8-connected labelling with statistics -> (n, labels int32, stats, runs).

    stats is OpenCV's (x, y, w, h, area per label; row 0, the background, is the whole image
    and its area). runs is None, or for a sparse mask its set pixels as InkRuns, which callers
    can use instead of scanning the whole image again.
    Grana's block-based algorithm: ~3x faster than OpenCV's default when statistics are wanted.
    """
    h, w = mask_u8.shape[:2]
    if h * w < SPARSE_MIN_PIXELS or cv2.countNonZero(mask_u8) >= SPARSE_SHARE * h * w:
        n, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
            mask_u8, 8, cv2.CV_32S, cv2.CCL_GRANA)
        stats[0] = (0, 0, w, h, stats[0, cv2.CC_STAT_AREA])
        return n, labels, stats, None
    n, labels, box = labels_in_ink_box(mask_u8)
    runs = ink_runs(mask_u8, labels, box)
    stats = np.zeros((n, 5), np.int32)
    stats[0] = (0, 0, w, h, h * w - runs.flat.size)
    if n > 1:
        stats[1:, cv2.CC_STAT_AREA] = np.bincount(runs.labels, weights=runs.ends - runs.starts,
                                                  minlength=n)[1:]
        # each label's runs together, still in raster order (a stable sort): its first and
        # last runs are on its top and bottom rows; reduceat over the groups gives its side
        # columns (as uint16 where the labels fit: numpy sorts 16-bit integers stably by
        # radix, ~4x faster than int32's merge sort; a stable order is the same either way)
        order = np.argsort(runs.labels.astype(np.uint16) if n <= 1 << 16 else runs.labels,
                           kind="stable")
        group = np.flatnonzero(np.diff(runs.labels[order], prepend=-1))  # each label's first run
        first = runs.flat[runs.starts[order]]  # (flat index of each run's first pixel)
        last = runs.flat[runs.ends[order] - 1]
        left = np.minimum.reduceat(first % w, group)
        right = np.maximum.reduceat(last % w, group)
        top = first[group] // w
        bottom = last[np.append(group[1:], order.size) - 1] // w
        stats[1:, :4] = np.stack([left, top, right - left + 1, bottom - top + 1], axis=1)
    return n, labels, stats, runs


def find_components(mask: np.ndarray, min_area: int = 3) -> Components:
    """Bool mask -> 8-connected components with at least `min_area` pixels."""
    n, labels, stats, _ = label_components(mask.view(np.uint8))
    ids = np.arange(1, n)
    stats = stats[1:]
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    return Components(labels, ids[keep], stats[keep, :4].astype(np.int64),
                      stats[keep, cv2.CC_STAT_AREA].astype(np.int64))


def typical_height(boxes: np.ndarray, areas: np.ndarray) -> float:
    """The page's usual digit height: an upper quantile of component heights.

    Punctuation and specks are many and small, so the median would be too low; the 75th
    percentile of the components that are not specks sits on the digits.
    """
    if len(boxes) == 0:
        return 0.0
    h = boxes[:, 3]
    solid = (h >= 4) & (areas >= 10)
    if not solid.any():
        return float(np.max(h))
    return order_stats.percentile(h[solid], 75)


# A pen, a finger or a sleeve reaching into a camera's frame is one dark component running out
# of the picture, several times taller than the writing beside it (a pen over a 44 px number:
# 4.2-4.5 x the page's usual height). Grouped with the number into one line, it made the line
# so tall that every digit of it was too small to be one, and the number was lost whole. A
# component touching the image's edge and over INTRUDER_TALL x the usual height is no
# writing. (At 2.5 two cheques lost a tall first digit reaching the image's edge, 2.5 and 2.7
# times the rest; at 3.5 the tuning sets read page for page the same.)
INTRUDER_TALL = 3.5


def drop_intruders(comps: Components, typical_h: float) -> Components:
    """Remove the components that reach the image's edge and stand INTRUDER_TALL x taller
    than the page's usual height (see INTRUDER_TALL)."""
    if len(comps) == 0 or typical_h <= 0:
        return comps
    keep = ~(touches_frame(comps) & (comps.boxes[:, 3] > INTRUDER_TALL * typical_h))
    return comps if keep.all() else comps.subset(keep)


# Fingers holding the page at the frame's edge: a blob of skin wider than the background's
# window keeps only its rim as ink (inside it the background follows the skin), and two
# fingertips read "07". No ink is skin-coloured, so a component at the frame (SKIN_FRAME_MARGIN) whose
# pixels are skin-coloured on average in the colour input (YCrCb: Cr in SKIN_CR, Cb in SKIN_CB,
# Cr at least SKIN_CHROMA over Cb; red ink has Cr over 200, blue ink Cb over Cr, black and
# pencil neither) goes. A grey shadow's edge, which the same rule by shape alone took for a
# finger (held-out synthetic page 81), is no colour.
SKIN_CR = (135.0, 175.0)
SKIN_CB = (80.0, 125.0)
SKIN_CHROMA = 15.0
# ... and its hue orange, not red: (G - B) / (R - B) in SKIN_HUE (skin 0.36-0.4; red ink, and
# red ink's soft edge on grey paper, under 0.05: a red 5 joined to a red margin line at the
# frame's edge went, synthetic page 5587)
SKIN_HUE = (0.15, 0.75)
# ... within this many px, or this share of its longer side, of the frame (a fingertip's rim
# stops short of the edge, where the finger's shading meets it)
SKIN_FRAME_MARGIN = 3
SKIN_FRAME_SHARE = 0.15


def skin_coloured(bgr_mean: np.ndarray) -> bool:
    """Is a mean colour (B, G, R, 0..255) a skin tone (see SKIN_CR)?"""
    b, g, r = (float(v) for v in bgr_mean)
    y = 0.299 * r + 0.587 * g + 0.114 * b
    cr, cb = (r - y) * 0.713 + 128.0, (b - y) * 0.564 + 128.0
    return (SKIN_CR[0] <= cr <= SKIN_CR[1] and SKIN_CB[0] <= cb <= SKIN_CB[1]
            and cr - cb >= SKIN_CHROMA and r > b
            and SKIN_HUE[0] <= (g - b) / (r - b) <= SKIN_HUE[1])


def touches_frame(comps: Components, margin: np.ndarray | float = 0) -> np.ndarray:
    """Per component: does its box come within `margin` px (one each, or one for all) of the
    image's edge?"""
    img_h, img_w = comps.labels.shape[:2]
    x, y, w, h = (comps.boxes[:, i] for i in range(4))
    return ((x <= margin) | (y <= margin) | (x + w >= img_w - margin)
            | (y + h >= img_h - margin))


def drop_skin_at_frame(comps: Components, colour: np.ndarray | None, scale: float) -> Components:
    """Remove the components that reach the image's edge and are skin-coloured in `colour`
    (the BGR uint8 input; `scale`: input -> working pixels), see SKIN_CR. Without colour,
    nothing goes."""
    if colour is None or len(comps) == 0:
        return comps
    keep = np.ones(len(comps), bool)
    near = np.maximum(SKIN_FRAME_MARGIN, SKIN_FRAME_SHARE * comps.boxes[:, 2:4].max(axis=1))
    for i in np.flatnonzero(touches_frame(comps, near)):
        x, y = int(comps.boxes[i, 0]), int(comps.boxes[i, 1])
        ys, xs = np.nonzero(comps.own_mask(i))
        rows = np.minimum(((ys + y) / scale).astype(np.intp), colour.shape[0] - 1)
        cols = np.minimum(((xs + x) / scale).astype(np.intp), colour.shape[1] - 1)
        keep[i] = not skin_coloured(colour[rows, cols].mean(axis=0))
    return comps if keep.all() else comps.subset(keep)


def drop_specks(comps: Components, typical_h: float) -> Components:
    """Remove components far too small to be a digit or even a full stop of these digits."""
    if len(comps) == 0:
        return comps
    w, h = comps.boxes[:, 2], comps.boxes[:, 3]
    small = max(2.0, 0.12 * typical_h)
    keep = (np.maximum(w, h) >= small) & (comps.areas >= max(3, 0.004 * typical_h ** 2))
    return comps.subset(keep)
