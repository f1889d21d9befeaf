"""Connected components of the stroke mask with their statistics, and the page's usual digit size."""
from __future__ import annotations

from dataclasses import dataclass, field

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
        x, y, w, h = (int(v) for v in self.boxes[i])
        return self.labels[y:y + h, x:x + w] == self.ids[i]

    def subset(self, keep: np.ndarray) -> Components:
        return Components(self.labels, self.ids[keep], self.boxes[keep], self.areas[keep],
                          self.faint)


# A mask with under this share of set pixels (and at least SPARSE_MIN_PIXELS) is labelled
# without OpenCV's statistics, which are then gathered from the set pixels' coordinates:
# OpenCV's pass visits every pixel again, at 2-10 ns a pixel (OpenCV 5.1; labels alone:
# ~0.7 ns), against ~30 ns an ink pixel here. 1280 x 720 speed pages: 1.7-2.0 ms -> 0.8-1.6 ms
# (0.1-9.7 % ink). Down to 10,000 pixels (was 100,000 until 2026-12-05): what is left of a
# page-wide ruled line (a row of digits' feet, ~1200 x 60 px) took 0.3-0.5 ms, now ~0.1; on
# masks of a few thousand pixels OpenCV's is faster.
SPARSE_SHARE = 0.12
SPARSE_MIN_PIXELS = 10_000


def label_components(mask_u8: np.ndarray):
    """8-connected labelling with statistics -> (n, labels int32, stats, points).

    stats is OpenCV's (x, y, w, h, area per label; row 0, the background, is the whole image
    and its area). points is None, or for a sparse mask (flat index, label) int arrays of its
    set pixels in raster order, which callers can use instead of scanning the whole image again.
    Grana's block-based algorithm: ~3x faster than OpenCV's default when statistics are wanted.
    """
    h, w = mask_u8.shape[:2]
    if h * w < SPARSE_MIN_PIXELS or cv2.countNonZero(mask_u8) >= SPARSE_SHARE * h * w:
        n, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
            mask_u8, 8, cv2.CV_32S, cv2.CCL_GRANA)
        stats[0] = (0, 0, w, h, stats[0, cv2.CC_STAT_AREA])
        return n, labels, stats, None
    n, labels = cv2.connectedComponentsWithAlgorithm(mask_u8, 8, cv2.CV_32S, cv2.CCL_GRANA)
    found = cv2.findNonZero(mask_u8)
    xy = found.reshape(-1, 2) if found is not None else np.zeros((0, 2), np.int32)
    xs, ys = xy[:, 0], xy[:, 1]
    flat = ys.astype(np.intp) * w + xs
    at = labels.ravel()[flat]
    stats = np.zeros((n, 5), np.int32)
    counts = np.bincount(at, minlength=n)
    stats[:, cv2.CC_STAT_AREA] = counts
    stats[0] = (0, 0, w, h, h * w - xs.size)
    if n > 1:
        # each label's pixels together, still in raster order (a stable sort): its first and
        # last are its top and bottom rows; reduceat over the runs gives its side columns
        order = np.argsort(at, kind="stable")
        xs_by, ys_by = xs[order], ys[order]
        starts = np.concatenate(([0], np.cumsum(counts[1:-1])))
        left, right = np.minimum.reduceat(xs_by, starts), np.maximum.reduceat(xs_by, starts)
        top, bottom = ys_by[starts], ys_by[starts + counts[1:] - 1]
        stats[1:, :4] = np.stack([left, top, right - left + 1, bottom - top + 1], axis=1)
    return n, labels, stats, (flat, at)


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
    img_h, img_w = comps.labels.shape[:2]
    x, y, w, h = (comps.boxes[:, i] for i in range(4))
    edge = (x <= 0) | (y <= 0) | (x + w >= img_w) | (y + h >= img_h)
    keep = ~(edge & (h > INTRUDER_TALL * typical_h))
    return comps if keep.all() else comps.subset(keep)


def drop_specks(comps: Components, typical_h: float) -> Components:
    """Remove components far too small to be a digit or even a full stop of these digits."""
    if len(comps) == 0:
        return comps
    w, h = comps.boxes[:, 2], comps.boxes[:, 3]
    small = max(2.0, 0.12 * typical_h)
    keep = (np.maximum(w, h) >= small) & (comps.areas >= max(3, 0.004 * typical_h ** 2))
    return comps.subset(keep)
