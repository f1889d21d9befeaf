"""Components of one line -> digit candidates.

1. Merge the parts of one broken digit (a 5's bar, a 4 in two strokes): parts that overlap
   along the line belong together.
2. For every merged group, list the plausible segmentations: the group whole, its components
   separately, and vertical cuts at projection valleys when the group is much wider than the
   line's digit height (touching digits).
3. The classifier scores every piece of every segmentation in one batch; each group keeps the
   segmentation whose pieces it is most confident are digits (`choose_segmentation`).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from realtime.components import Components
from realtime.normalize import ink_bbox, normalize_digit

NON_DIGIT = 10  # the classifier's 11th class: punctuation, lines, fragments, touching pairs


@dataclass(frozen=True)
class Piece:
    """One digit candidate: some components, optionally cut to a column range of their group."""

    ids: tuple[int, ...]          # label values in Components.labels
    box: tuple[int, int, int, int]  # tight ink box (x, y, w, h), working pixels
    crop: np.ndarray = field(repr=False, compare=False)  # 28 x 28 normalized, as for training


@dataclass
class Group:
    """Components that overlap along a line, with the segmentations to choose from."""

    members: list[int]                    # indices into Components
    box: tuple[int, int, int, int]        # union box, working pixels
    segmentations: list[list[int]] = field(default_factory=list)  # lists of piece indices


def union_box(boxes: np.ndarray) -> tuple[int, int, int, int]:
    x0, y0 = boxes[:, 0].min(), boxes[:, 1].min()
    x1, y1 = (boxes[:, 0] + boxes[:, 2]).max(), (boxes[:, 1] + boxes[:, 3]).max()
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def line_height(heights: np.ndarray) -> float:
    """A line's digit height: median of the items at least half as tall as its tallest."""
    if len(heights) == 0:
        return 0.0
    h = np.asarray(heights, np.float64)
    return float(np.median(h[h >= 0.5 * h.max()]))


def merge_broken(order: np.ndarray, along: np.ndarray, widths: np.ndarray, boxes: np.ndarray,
                 line_h: float, min_overlap: float = 0.5) -> list[list[int]]:
    """Chain items (sorted along the line) whose extents along the line overlap into groups."""
    groups: list[list[int]] = []
    g_lo = g_hi = 0.0
    for i in order:
        lo, hi = along[i] - widths[i] / 2, along[i] + widths[i] / 2
        if groups:
            overlap = min(hi, g_hi) - max(lo, g_lo)
            merged = union_box(boxes[groups[-1] + [i]])
            if (overlap >= min_overlap * min(hi - lo, g_hi - g_lo)
                    and merged[3] <= 1.6 * max(line_h, 1.0)):
                groups[-1].append(int(i))
                g_lo, g_hi = min(g_lo, lo), max(g_hi, hi)
                continue
        groups.append([int(i)])
        g_lo, g_hi = lo, hi
    return groups


def cut_positions(mask: np.ndarray, line_h: float, max_cuts: int = 4) -> list[int]:
    """Columns of `mask` where a touching pair is likely joined: valleys of the ink projection."""
    w = mask.shape[1]
    proj = mask.sum(0).astype(np.float64)
    if w < 5:
        return []
    smooth = np.convolve(proj, [0.25, 0.5, 0.25], mode="same")
    min_piece = max(2, int(0.12 * line_h))
    cand = [x for x in range(min_piece, w - min_piece)
            if smooth[x] <= smooth[x - 1] and smooth[x] <= smooth[x + 1]]
    cand.sort(key=lambda x: smooth[x])
    chosen: list[int] = []
    spacing = max(2, int(0.2 * line_h))
    for x in cand:
        if all(abs(x - c) >= spacing for c in chosen):
            chosen.append(x)
        if len(chosen) == max_cuts:
            break
    return sorted(chosen)


class PieceBook:
    """Builds each distinct piece (and its normalized crop) once."""

    def __init__(self, comps: Components):
        self.comps = comps
        self.pieces: list[Piece] = []
        self._index: dict[tuple, int] = {}

    def add(self, ids: tuple[int, ...], box: tuple[int, int, int, int],
            cols: tuple[int, int] | None = None) -> int | None:
        """Piece of components `ids` inside `box`, optionally only columns [a, b) of the box."""
        key = (ids, box, cols)
        if key in self._index:
            return self._index[key]
        x, y, w, h = box
        roi = self.comps.labels[y:y + h, x:x + w]
        mask = roi == ids[0] if len(ids) == 1 else np.isin(roi, ids)
        if cols is not None:
            mask[:, :cols[0]] = False
            mask[:, cols[1]:] = False
        ink = mask.view(np.uint8)
        bb = ink_bbox(ink)
        if bb is None:
            self._index[key] = None
            return None
        bx, by, bw, bh = bb
        crop = normalize_digit(ink[by:by + bh, bx:bx + bw] * np.uint8(255))
        self.pieces.append(Piece(ids, (x + bx, y + by, bw, bh), crop))
        self._index[key] = len(self.pieces) - 1
        return len(self.pieces) - 1


def plan_group(book: PieceBook, group: Group, line_h: float, split_ratio: float = 0.9,
               max_digits: int = 4) -> None:
    """Fill `group.segmentations` with the candidate segmentations of the group."""
    comps = book.comps
    ids = tuple(int(comps.ids[i]) for i in group.members)
    whole = book.add(ids, group.box)
    if whole is None:
        return
    group.segmentations.append([whole])
    if len(group.members) > 1:
        # each sizeable component on its own (two digits that overlap along the line)
        sizeable = [i for i in group.members
                    if max(comps.boxes[i, 2], comps.boxes[i, 3]) >= 0.3 * line_h]
        order = sorted(sizeable, key=lambda i: comps.boxes[i, 0])
        if len(order) > 1:
            seg = [book.add((int(comps.ids[i]),), tuple(int(v) for v in comps.boxes[i])) for i in order]
            seg = [p for p in seg if p is not None]
            if seg:
                group.segmentations.append(seg)
    x, y, w, h = group.box
    if w <= split_ratio * line_h or line_h <= 0:
        return
    roi = comps.labels[y:y + h, x:x + w]
    mask = np.isin(roi, ids)
    cuts = cut_positions(mask, line_h)
    # plausible digit counts from the width: a digit is ~0.3 .. 1.0 line heights wide
    k_max = min(max_digits, len(cuts) + 1, max(2, math.ceil(w / (0.3 * line_h))))
    for k in range(2, k_max + 1):
        for chosen in itertools.combinations(cuts, k - 1):
            edges = (0, *chosen, w)
            seg = [book.add(ids, group.box, (a, b)) for a, b in itertools.pairwise(edges)]
            if all(p is not None for p in seg):
                group.segmentations.append(seg)


def digit_scores(probs: np.ndarray) -> np.ndarray:
    """log P(piece is some digit) per piece (max over the ten digit classes)."""
    if probs.shape[0] == 0:
        return np.zeros(0)
    return np.log(np.clip(probs[:, :10].max(axis=1), 1e-6, 1.0))


def choose_segmentation(group: Group, scores: np.ndarray, piece_penalty: float = 0.05) -> list[int]:
    """The segmentation with the best mean log-probability that its pieces are digits."""
    best, best_score = [], -np.inf
    for seg in group.segmentations:
        if not seg:
            continue
        s = float(np.mean(scores[seg])) - piece_penalty * (len(seg) - 1)
        if s > best_score:
            best, best_score = seg, s
    return best
