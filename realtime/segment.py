"""Components of one line -> digit candidates, chosen with the classifier.

A line is a sequence of units (its components, left to right). A digit is one unit, a few
neighbouring units (the parts of a broken digit: a 5's bar, a 4 in two strokes, a stroke cut by a
ruled line), part of one wide unit cut at a projection valley (touching digits), or such a
slice with the unit beside it (a 7 whose bar touches the 0 before it). `plan_line`
lists the units; the classifier reads them all in one batch; `plan_alternatives` adds merges
and cuts around the units whose reading is in doubt, read in a second batch; then
`solve_line` picks, by dynamic programming over the units, the segmentation the classifier is
most confident in (each digit earns a bonus so that splitting a touching pair wins over calling
it one blob; a unit may also be read as "not a digit": full stops, commas, dashes). Of the
digits chosen, the reader leaves out those that are separators or signs by their shape and
place: a date's slashes, parentheses, ticks, plus and dollar signs (`separator_digits`),
percent, number, euro, pound and degree signs written on to a number or, at a line's end or
start, a space away from it (`signs_beside_numbers`), and a times sign between two numbers or
at a number's ends, which parts them (`times_signs`, `times_among_strokes`).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from realtime import order_stats
from realtime.components import Components
from realtime.normalize import MNIST_BOX, ink_bbox, normalize_digit, normalize_tight
from realtime.order_stats import median_of

NON_DIGIT = 10  # the classifier's 11th class: punctuation, lines, fragments, touching pairs


@dataclass(frozen=True)
class Piece:
    """One digit candidate: some components, optionally cut to a column range of their group."""

    ids: tuple[int, ...]          # label values in Components.labels
    box: tuple[int, int, int, int]  # tight ink box (x, y, w, h), working pixels
    crop: np.ndarray | None = field(repr=False, compare=False)  # 28 x 28 normalized, as for
    # training; None for a piece too small to be a digit (it is scored as "not a digit")


def union_box(boxes) -> tuple[int, int, int, int]:
    """The box (x, y, w, h) round `boxes` (k x 4, an array or a list of boxes)."""
    # (plain ints: a few boxes, where numpy's four reductions cost ~6 us more)
    rows = boxes.tolist() if isinstance(boxes, np.ndarray) else boxes
    x0, y0 = min(b[0] for b in rows), min(b[1] for b in rows)
    x1, y1 = max(b[0] + b[2] for b in rows), max(b[1] + b[3] for b in rows)
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def line_height(heights: np.ndarray) -> float:
    """A line's digit height: median of the items at least half as tall as its tallest, or,
    in a line of four items or more, as its second tallest when that is at least a quarter of
    the tallest's height. One figure written far taller than the rest (a cheque's "4" three
    times the height of its "0681") made every other digit of the line too small to be one."""
    if len(heights) == 0:
        return 0.0
    h = np.asarray(heights, np.float64)
    tallest = np.sort(h)[::-1]
    ref = tallest[1] if len(h) >= 4 and tallest[1] >= 0.25 * tallest[0] else tallest[0]
    return median_of(h[h >= 0.5 * ref].tolist())


# A 1 touching the side of another digit is a narrow piece, joined close to the unit's side:
# until 2026-12-02 no cut came closer than 0.15 line heights to a side and no piece under 0.2
# was tried, so a touching "81" could only be read whole or cut through the 8 (synthetic tuning
# pages 79.5 -> 80.2 %, fresh 77.0 -> 77.2 %; ORAND training images 87.5 -> 87.4 %, CER 3.73 ->
# 3.76 %: one 9 lost a sliver, "11772" read "11472" instead of "1492")
SIDE_PIECE = 0.1   # (x line height) narrowest piece cut off a unit's side
CUT_MARGIN = 0.15  # (x line height) cuts this far from the sides compete for max_cuts ...
SIDE_CUT_MARGIN = 0.08  # ... and one more each side may lie this close to it


def middle_rows(mask: np.ndarray) -> np.ndarray:
    """The rows of `mask` between 12 % and 88 % of its height (at least one): where touching
    digits part, clear of an underline or ligature along the top or bottom."""
    h = mask.shape[0]
    return mask[int(0.12 * h): max(int(0.12 * h) + 1, int(np.ceil(0.88 * h)))]


def cut_positions(mask: np.ndarray, line_h: float, max_cuts: int = 6,
                  sides: bool = True) -> list[int]:
    """Columns of `mask` where touching digits are likely joined: valleys of the ink projection.

    The projection counts only the middle rows, so an underline or ligature along the top or
    bottom does not fill the valleys between digits. With `sides`, the deepest valley close to
    each side (a narrow 1 joined there) is added beyond `max_cuts`: a stroke thinning out at
    the unit's edge makes shallow valleys there, which must not crowd out the inner ones.
    """
    h, w = mask.shape
    if w < 5:
        return []
    band = middle_rows(mask)
    proj = band.sum(0).astype(np.float64)
    smooth = np.convolve(proj, [0.25, 0.5, 0.25], mode="same")
    spacing = max(2, int(0.2 * line_h))
    chosen = _valleys(smooth, max(2, int(CUT_MARGIN * line_h)), spacing, max_cuts)
    if sides:
        near = max(2, int(SIDE_CUT_MARGIN * line_h))
        far = max(2, int(CUT_MARGIN * line_h))
        for side in _valleys(smooth, near, spacing, None):
            if (side < far or side >= w - far) and all(abs(side - c) >= spacing for c in chosen):
                chosen.append(side)
    return sorted(chosen)


def _valleys(smooth: np.ndarray, margin: int, spacing: int, max_cuts: int | None) -> list[int]:
    """Local minima of `smooth` at least `margin` from its ends and `spacing` apart, deepest
    first (at most `max_cuts`)."""
    w = smooth.size
    inner = smooth[margin - 1: w - margin + 1]
    if inner.size < 3:
        return []
    is_min = (inner[1:-1] <= inner[:-2]) & (inner[1:-1] <= inner[2:])
    cand = sorted((int(x) for x in np.nonzero(is_min)[0] + margin), key=lambda x: smooth[x])
    chosen: list[int] = []
    for x in cand:
        if all(abs(x - c) >= spacing for c in chosen):
            chosen.append(x)
        if len(chosen) == max_cuts:
            break
    return chosen


# A cut through the middle of a loop (a hole of the stroke, at least HOLE_MIN_W of the writing
# height wide; its outer HOLE_EDGE on each side does not count) splits a 0, 6, 8 or 9, where
# joined cursive zeros part at their ligature: such a piece pays HOLE_CUT_COST. Tuning: ORAND
# training images 87.4 -> 87.8 %, CER 3.76 -> 3.66 % (4 fixed, none broken: "150020" ->
# "150000"); synthetic pages the same. 1.0 and 2.0 broke more than they fixed; dropping such
# cuts outright lost overlapping zeros ("280000" -> "280")
HOLE_CUT_COST = 0.3
HOLE_MIN_W = 0.15
HOLE_EDGE = 0.2


def holes(mask: np.ndarray) -> np.ndarray:
    """Statistics rows (x, y, w, h, area) of the holes of `mask`: regions of paper
    (4-connected) enclosed by the stroke, not reaching its border (a loop of 0, 6, 8, 9)."""
    paper = (~mask).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(paper, connectivity=4)
    h, w = mask.shape
    x, y, bw, bh = (stats[1:, k] for k in range(4))
    return stats[1:][(x > 0) & (y > 0) & (x + bw < w) & (y + bh < h)]


def hole_count(mask: np.ndarray) -> int:
    """len(holes(mask)), from the contours' hierarchy: ~3x faster than labelling the paper, so
    a test that needs holes asks this first (the same count on MNIST and random masks)."""
    _, hierarchy = cv2.findContours(mask.view(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    return 0 if hierarchy is None else int(np.count_nonzero(hierarchy[0, :, 3] >= 0))


def hole_spans(mask: np.ndarray, min_w: float) -> list[tuple[int, int]]:
    """(first, last + 1) columns of each hole of `mask` at least `min_w` wide."""
    return [(int(x), int(x + bw)) for x, _, bw, _, _ in holes(mask) if bw >= min_w]


def junction_positions(mask: np.ndarray, line_h: float) -> list[int]:
    """Columns where two touching loops meet: the top outline dips and the bottom outline rises
    there. A chain of joined zeros has its projection valleys inside the loops (two thin arcs)
    and a peak at each junction, so projection valleys alone never cut it right."""
    h, w = mask.shape
    inked = mask.any(0)
    if w < 5 or not inked.all():
        return []  # (a gap in the ink is a projection valley already)
    top = np.argmax(mask, 0).astype(np.float64)
    bottom = (h - 1 - np.argmax(mask[::-1], 0)).astype(np.float64)
    reach = max(2, int(0.25 * line_h))
    depth = max(2.0, JUNCTION_DEPTH * line_h)
    margin = max(2, int(0.15 * line_h))
    if w - 2 * margin < 1:
        return []
    # per column: the outline's extreme within `reach` on each side (edges padded)
    win_top = edge_padded_windows(top, reach)
    win_bottom = edge_padded_windows(bottom, reach)
    left_top, right_top = win_top[:, :reach].min(1), win_top[:, reach + 1:].min(1)
    left_bot, right_bot = win_bottom[:, :reach].max(1), win_bottom[:, reach + 1:].max(1)
    dips = (top >= win_top.max(1)) & (top - np.minimum(left_top, right_top) >= depth)
    rises = (bottom <= win_bottom.min(1)) & (np.maximum(left_bot, right_bot) - bottom >= depth)
    hits = dips | rises
    hits[:margin] = hits[w - margin:] = False
    out = np.nonzero(hits)[0]
    # a flat-bottomed dip gives a run of columns: keep the middle of each run
    if not out.size:
        return []
    breaks = np.flatnonzero(np.diff(out) > 1)
    firsts = out[np.concatenate(([0], breaks + 1))].tolist()
    lasts = out[np.concatenate((breaks, [out.size - 1]))].tolist()
    return [(a + b) // 2 for a, b in zip(firsts, lasts, strict=True)]


def edge_padded_windows(values: np.ndarray, reach: int) -> np.ndarray:
    """Read-only n x (2 reach + 1) view: row i holds values[i - reach .. i + reach], the ends
    repeated past the edges (np.pad's "edge" mode and numpy's sliding_window_view, whose
    Python overhead cost more than the rest of junction_positions)."""
    padded = np.concatenate((np.full(reach, values[0]), values, np.full(reach, values[-1])))
    step = padded.strides[0]
    return np.lib.stride_tricks.as_strided(padded, (values.size, 2 * reach + 1), (step, step),
                                           writeable=False)


# A digit piece wider than WIDE_FREE line heights pays WIDE_PENALTY per line height more
# (3.0 until 2026-12-02: a cheque's flat cursive zero, 1.8 line heights wide, lost to a cut
# through its middle; tuning: ORAND train 85.6 -> 86.0 %, synthetic 5000-5599 73.3 -> 74.5 %)
WIDE_PENALTY = 2.0
WIDE_FREE = 1.1
MERGE_MAX_W = 1.6  # (x line height) parts of one broken digit span at most this, ...
MERGE_MAX_W_TYPICAL = 1.3  # ... or this many of the line's usual digit widths (flat writing)
FRAGMENT_COST = 1.5   # log-score price of leaving a flat slice of a wide unit out, and again
# for each loop it encloses: a ligature's tail, a dash or an underline stub has none, small
# zeros left out as one "flat slice" do (see SMALL_DIGIT)
JUNCTION_DEPTH = 0.1  # how far (x line height) an outline must dip to mark a junction
PUNCT_MAX_H = 0.5     # only units shorter than this (x line height) may be punctuation,
# and none both this tall and this wide: a dash is flat, a dot, comma or stop narrow, while a
# blob of 0.35 x 0.6 line heights is small digits (cheque cents "00" joined), which the
# classifier calls "not a digit" as a whole (a touching pair) and, at the negative digit bonus,
# cost less left out as punctuation than cut into two sure zeros
PUNCT_BLOB_H = 0.35
PUNCT_BLOB_W = 0.6
MIN_DESKEW_DEG = 3.0
MIN_CUT_SKEW = 0.12   # slant (dx/dy) below which touching digits are cut straight down


def unit_skew(mask: np.ndarray) -> float:
    """Slant of the strokes (dx per dy, from second moments); 0 when nearly upright."""
    m = cv2.moments(mask.view(np.uint8), binaryImage=True)
    if m["mu02"] < 1e-2:
        return 0.0
    skew = min(max(m["mu11"] / m["mu02"], -0.7), 0.7)
    return skew if abs(skew) >= MIN_CUT_SKEW else 0.0


def sheared_columns(h: int, w: int, skew: float) -> np.ndarray:
    """Column of each pixel of an h x w box in the frame where strokes slanted by `skew` stand
    upright (shifted right by a margin so that all columns are >= 0)."""
    pad = int(np.ceil(abs(skew) * h / 2))
    rows = np.arange(h, dtype=np.float64)[:, None] - h / 2
    return np.rint(np.arange(w)[None, :] - skew * rows + pad).astype(np.int64)


def shear_mask(mask: np.ndarray, skew: float) -> np.ndarray:
    """The mask with its slanted strokes made upright (same rows, wider)."""
    if not skew:
        return mask
    h, w = mask.shape
    xp = sheared_columns(h, w, skew)
    out = np.zeros((h, int(xp.max()) + 1), bool)
    ys, xs = np.nonzero(mask)
    out[ys, xp[ys, xs]] = True
    return out


def level(glyph: np.ndarray, tilt_deg: float) -> np.ndarray:
    """Rotate a glyph crop by the page tilt so its line is horizontal (canvas grown to fit)."""
    h, w = glyph.shape
    c, s = abs(math.cos(math.radians(tilt_deg))), abs(math.sin(math.radians(tilt_deg)))
    nw, nh = int(w * c + h * s) + 2, int(h * c + w * s) + 2
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), tilt_deg, 1.0)
    rot[0, 2] += (nw - w) / 2
    rot[1, 2] += (nh - h) / 2
    return cv2.warpAffine(glyph, rot, (nw, nh), flags=cv2.INTER_LINEAR)


def ids_mask(labels: np.ndarray, ids: tuple[int, ...]) -> np.ndarray:
    """Where `labels` holds one of `ids` (same as np.isin for the few ids of a piece, which
    costs ~20x more on a digit-sized box)."""
    mask = labels == ids[0]
    for i in ids[1:]:
        mask |= labels == i
    return mask


def piece_mask(labels: np.ndarray, ids: tuple[int, ...], box: tuple[int, int, int, int],
               cols: tuple | None = None, skew: float = 0.0) -> np.ndarray:
    """Bool mask, box-sized, of the ink of components `ids` in `box`, optionally only columns
    [a, b) of the box (of the box sheared by `skew`, see sheared_columns); a or b may be a
    tuple, one column per row of the box (a curved cut)."""
    x, y, w, h = box
    return keep_columns(ids_mask(labels[y:y + h, x:x + w], ids), cols, skew)


def keep_columns(mask: np.ndarray, cols: tuple | None = None, skew: float = 0.0) -> np.ndarray:
    """`mask` (a box's bool mask, changed in place and returned) cut down to columns [a, b) as
    piece_mask takes them; `cols` None: all of it."""
    h, w = mask.shape
    if cols is not None and skew:
        xp = sheared_columns(h, w, skew)
        mask &= (xp >= cols[0]) & (xp < cols[1])
    elif cols is not None and (isinstance(cols[0], tuple) or isinstance(cols[1], tuple)):
        # a curved cut (see seam_cut): per row, the first column of the piece and the first
        # one past it
        xs = np.arange(w)[None, :]
        first, past = (np.asarray(c).reshape(-1, 1) for c in cols)
        mask &= (xs >= first) & (xs < past)
    elif cols is not None:
        mask[:, :cols[0]] = False
        mask[:, cols[1]:] = False
    return mask


# Grey crops (see graded_glyph): the contrast of a typical stroke pixel (this percentile
# of the piece's own pixels) becomes white, and no pixel of the piece's mask is darker than
# GLYPH_FLOOR (a faint pixel that the threshold kept is still ink).
GLYPH_WHITE_PERCENTILE = 50
GLYPH_FLOOR = 32
_RING = np.ones((3, 3), np.uint8)


def graded_glyph(contrast: np.ndarray, mask: np.ndarray, free: np.ndarray) -> np.ndarray:
    """A piece's ink as grey strokes rather than a flat mask: MNIST's digits are anti-aliased
    grey, and the thin loop or faint foot of a small digit that the threshold half lost still
    shows in grey. `contrast` (uint8), `mask` (the piece's pixels) and `free` (pixels no other
    stroke holds) are box-sized; the strokes grow by one pixel into `free` (their soft edge).
    -> uint8, box-sized."""
    own = contrast[mask]
    if own.size == 0:
        return np.zeros(mask.shape, np.uint8)
    k = min(own.size - 1, int(own.size * GLYPH_WHITE_PERCENTILE / 100))
    white = max(1.0, float(np.partition(own, k)[k]))
    # (on 0/1 uint8 masks, in place: each call here is a few microseconds of overhead, and
    # there are ~40 pieces a page)
    m8 = mask.view(np.uint8)
    grown = cv2.dilate(m8, _RING)
    grown &= free.view(np.uint8)
    grown |= m8
    glyph = cv2.convertScaleAbs(contrast, alpha=255.0 / white)  # saturates
    glyph *= grown
    return cv2.max(glyph, m8 * np.uint8(GLYPH_FLOOR))


class PieceBook:
    """Builds each distinct piece (and its normalized crop) once. With `contrast` (the
    working-size ink contrast map the components were found in) crops are grey (see
    graded_glyph), else flat masks."""

    def __init__(self, comps: Components, tilt: float = 0.0, contrast: np.ndarray | None = None):
        self.comps = comps
        self.contrast = contrast
        self.tilt = tilt  # page tilt (radians) of the lines these pieces come from
        # crops are turned upright by the page tilt (radians) when it is more than a few degrees
        self.tilt_deg = math.degrees(tilt) if abs(math.degrees(tilt)) >= MIN_DESKEW_DEG else 0.0
        self.pieces: list[Piece] = []
        self._index: dict[tuple, int] = {}
        # (ids, box) -> the ink of those components in that box, and its paper (no stroke's
        # pixels): shared by a unit whole and every cut of it (half the pieces of a page)
        self._box_masks: dict[tuple, tuple[np.ndarray, np.ndarray | None]] = {}

    def keyed(self):
        """(key, index) of every piece: the key is add's (ids, box, cols, skew)."""
        return ((k, i) for k, i in self._index.items() if i is not None)

    def add(self, ids: tuple[int, ...], box: tuple[int, int, int, int],
            cols: tuple[int, int] | None = None, read: bool = True,
            skew: float = 0.0) -> int | None:
        """Piece of components `ids` inside `box`, optionally only columns [a, b) of the box
        (of the box sheared by `skew`, see sheared_columns).
        `read=False`: no crop (a speck or full stop that can only be punctuation)."""
        key = (ids, box, cols, skew)
        if key in self._index:
            return self._index[key]
        x, y, w, h = box
        whole, free = self._box_mask(ids, box)
        # (the whole box's mask is shared: cut down on a copy only)
        mask = whole if cols is None else keep_columns(whole.copy(), cols, skew)
        ink = mask.view(np.uint8)
        bb = ink_bbox(ink)
        if bb is None:
            self._index[key] = None
            return None
        bx, by, bw, bh = bb
        crop = None
        if read:
            if self.contrast is None:
                glyph = ink[by:by + bh, bx:bx + bw] * np.uint8(255)
            else:
                glyph = graded_glyph(self.contrast[y:y + h, x:x + w], mask,
                                     free)[by:by + bh, bx:bx + bw]
            if self.tilt_deg:
                crop = normalize_digit(level(glyph, self.tilt_deg))
            else:  # (inked to its box's edges, every mask pixel at GLYPH_FLOOR or more)
                crop = normalize_tight(glyph)
        self.pieces.append(Piece(ids, (x + bx, y + by, bw, bh), crop))
        self._index[key] = len(self.pieces) - 1
        return len(self.pieces) - 1

    def unit_mask(self, i: int) -> np.ndarray:
        """comps.own_mask(i), as made for the piece of component i whole (shared: not to be
        changed)."""
        ids, boxes = self.comps.listed
        return self._box_mask((ids[i],), tuple(boxes[i]))[0]

    def _box_mask(self, ids: tuple[int, ...], box: tuple[int, int, int, int]):
        """(bool mask of components `ids` in `box`, bool mask of its paper or None without a
        contrast map), made once per (ids, box); neither may be changed."""
        found = self._box_masks.get((ids, box))
        if found is None:
            x, y, w, h = box
            window = self.comps.labels[y:y + h, x:x + w]
            found = (ids_mask(window, ids), None if self.contrast is None else window == 0)
            self._box_masks[(ids, box)] = found
        return found


@dataclass
class LinePlan:
    """Candidate pieces of one line, as edges of a segmentation graph over its units."""

    units: list[int]                  # component indices, left to right
    line_h: float
    single: list[int | None]          # piece of unit i alone (None: too small to be a digit)
    small: list[bool]                 # unit i alone may only be punctuation
    punct_ok: list[bool]              # unit i may be punctuation (not tall enough to be a digit)
    merges: dict[tuple[int, int], int] = field(default_factory=dict)   # (i, j) units i..j-1
    cuts: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    # unit i cut at valleys: edges (from cut k, to cut m, piece) of a graph over its cut positions
    apart: set[int] = field(default_factory=set)  # units that are clearly two upright strokes
    split_loops: set[int] = field(default_factory=set)  # cut pieces with a bound through a loop
    leaning: set[int] = field(default_factory=set)  # cut pieces with a leaning bound (SLANTS)
    cut_fit: dict[int, int] = field(default_factory=dict)  # unit i: most digits it may be cut into
    end_marks: set[int] = field(default_factory=set)  # units that may be a line's closing mark
    # unit i cut: the column (working pixels) of each of its cut positions, None for a curved
    # or slanted cut
    cut_cols: dict[int, list[int | None]] = field(default_factory=dict)
    # digits written across two units (see plan_joins): (i, 0) -> [(m, piece)] for unit i whole
    # with the first slice of unit i+1, up to its cut m; (i, 1) -> [(k, piece)] for the last
    # slice of unit i, from its cut k, with unit i+1 whole
    joins: dict[tuple[int, int], list[tuple[int, int]]] = field(default_factory=dict)
    hanging: set[int] = field(default_factory=set)  # comma-like units (see hangs_below)
    feet: set[tuple[int, int]] = field(default_factory=set)  # merges (i, i+2) of a digit and
    # a flat mark under its foot or over its top (see foot_apart, cap_apart) ...
    caps: set[tuple[int, int]] = field(default_factory=set)  # ... those with it over its top


# A straight stroke far longer than the line's digits are tall is no digit: the pen lying on
# the page beside the number (read as an extra 1, "52 71901"), a ruler's edge, a long flourish;
# a 1 is about one line height long. A unit over STROKE_LONG line heights long whose inked
# rows' middles stray under STROKE_STRAIGHT x its height from one straight line is left out
# of its line. Pen-in-the-frame probes 2 -> 30 of 36; every tuning set page for page the same.
STROKE_LONG = 2.0
STROKE_STRAIGHT = 0.06


def long_straight_stroke(comps: Components, i: int, line_h: float) -> bool:
    """Is component i one straight stroke far longer than a digit (see STROKE_LONG)?"""
    w, h = map(int, comps.boxes[i, 2:4].tolist())
    if max(w, h) <= STROKE_LONG * line_h:
        return False
    line = stroke_line(comps.own_mask(i))
    return line is not None and line[1] <= STROKE_STRAIGHT * h


def plan_line(book: PieceBook, units: list[int], line_h: float,
              min_rel_height: float = 0.4) -> LinePlan:
    """The line's units (component indices sorted along it), each as one candidate piece."""
    comps = book.comps
    plan = LinePlan(units, line_h, [], [], [])
    for a, i in enumerate(units):
        x, y, w, h = map(int, comps.boxes[i].tolist())
        small = h < min_rel_height * line_h and w < 0.6 * line_h
        plan.single.append(book.add((int(comps.ids[i]),), (x, y, w, h), read=not small))
        plan.small.append(small)
        hanging = hangs_below(comps.boxes, units, a, line_h)
        if hanging:
            plan.hanging.add(a)
        plan.punct_ok.append((h < PUNCT_MAX_H * line_h
                              and not (h >= PUNCT_BLOB_H * line_h and w >= PUNCT_BLOB_W * line_h))
                             or hanging)
        if end_mark(comps, units, a, line_h):
            plan.end_marks.add(a)
    return plan


# A flat stroke closing a line, as wide as it is tall and under this many line heights (a
# cheque's trailing dash or flourish), may be a mark too, not only a digit
END_MARK_MAX_H = 0.7


def end_mark(comps, units: list[int], a: int, line_h: float) -> bool:
    """Is unit a, last on its line, a closing mark: flat, short, and one open stroke (no loop:
    small zeros at the end of an amount have theirs)? (Also the first unit: the tuning images
    read the same, one held-out cheque lost its leading 3.)"""
    if a != len(units) - 1 or len(units) < 2:
        return False
    _, _, w, h = map(int, comps.boxes[units[a]].tolist())
    if w < h or h >= END_MARK_MAX_H * line_h:
        return False
    return not hole_spans(comps.own_mask(units[a]), 1)


COMMA_MAX_H = 0.75  # (x line height) a mark this short hanging below its neighbours' middle
COMMA_MAX_W = 0.35  # ... and this narrow may be a comma


def hangs_below(boxes: np.ndarray, units: list[int], a: int, line_h: float) -> bool:
    """Is unit a a comma-like mark: short and narrow, starting below the middle of its tall
    neighbours and reaching below their feet? (A long comma is as tall as a small digit, so
    its size alone does not make it punctuation; where it hangs does.)"""
    x, y, w, h = map(float, boxes[units[a]].tolist())
    if h >= COMMA_MAX_H * line_h or w >= COMMA_MAX_W * line_h:
        return False
    tall = [boxes[units[b]] for b in (a - 1, a + 1)
            if 0 <= b < len(units) and boxes[units[b], 3] >= 0.8 * line_h]
    if not tall:
        return False
    middle = np.mean([t[1] + t[3] / 2 for t in tall])
    feet = max(t[1] + t[3] for t in tall)
    return y > middle and y + h > feet


# A unit read whole as a digit at DOUBT_SURE or better, and no wider than DOUBT_WIDE line
# heights, gets no merge or cut alternatives. 0.85 / 1.4 (0.9 / 1.2 until 2026-12-05): the
# tuning sets read exactly the same (ORAND training images and synthetic 5000-5599, every
# page), fresh pages 6000-6399 one better (a lost "1"), 1000-1199 and the held-out sets the
# same, with 7 % fewer crops to classify on the speed pages (10 % fewer alternatives); 0.8 /
# 1.6 read the same too, 0.7 / 2.0 broke a tuning page. DOUBT_WIDE 1.4 -> 2.0 (2026-12-07): a
# sure digit 1.4-2 line heights wide is one digit written wide (a cut of it almost never won),
# and its ~17 slices were a tenth of the crops of the speed pages (2,051 -> 1,868 on the 40);
# 6,480 pages read the same but for three outside the tuning and held-out sets, each with an
# error fewer: form 10186 now right, synthetic 7528 and form 10079 still wrong. 1.8 saved as
# many crops and changed 7528 only; 3.0 read two right pages wrong (a space lost, a digit cut).
DOUBT_SURE = 0.85
DOUBT_WIDE = 2.0


def whole_readings(plan: LinePlan, probs: np.ndarray):
    """The line's units read whole, those with a piece: (their indices, their pieces, each
    piece's likeliest class as a list, its likeliest digit's probability as float32), in one
    lookup for all of them: numpy's calls on one row cost ~1.5 us each, and each of the
    second pass's tests (doubtful_units, read_as_ones, unsure_full_height, one_beside) asked
    several a unit."""
    units = [a for a, p in enumerate(plan.single) if p is not None]
    pieces = [plan.single[a] for a in units]
    rows = probs[pieces] if pieces else np.zeros((0, probs.shape[1]), probs.dtype)
    return units, pieces, rows.argmax(axis=1).tolist(), rows[:, :10].max(axis=1)


def doubtful_units(plan: LinePlan, probs: np.ndarray, pieces: list[Piece],
                   sure: float = DOUBT_SURE, wide: float = DOUBT_WIDE,
                   whole: tuple | None = None) -> np.ndarray:
    """Per unit: is its reading as one whole digit in doubt? (not confidently a digit, wider
    than a digit, or short, though not small, and sitting high beside a tall one: see
    sits_high). Only doubtful units get merge and cut alternatives, which keeps the number of
    crops to classify close to the number of digits. `whole`: whole_readings(plan, probs), if
    known (as for each of the second pass's tests)."""
    out = np.zeros(len(plan.units), bool)
    units, singles, best, top = whole or whole_readings(plan, probs)
    if units:
        widths = np.array([pieces[p].box[2] for p in singles], np.int64)
        out[units] = (top < sure) | (widths > wide * plan.line_h)
        boxes = [pieces[plan.single[a]].box if plan.single[a] is not None else None
                 for a in range(len(plan.units))]
        for a, label in zip(units, best, strict=True):
            if (not out[a] and label != NON_DIGIT and not plan.small[a]
                    and sits_high(boxes, a, plan.line_h)):
                out[a] = True
    return out


# The top of a digit whose thin stroke broke off (an 8's open upper loop drawn faint, read as
# a sure 7 half the line's height beside the rest, "18" read "187") is short and sits high
# beside its tall neighbour: such a unit is in doubt, so the merge with its neighbour is read
# too. A short unit whose middle is SHORT_HIGH_ABOVE line heights or more above its tall
# neighbours' is no digit of the line's own size where it stands. Tuning (2026-12-07):
# synthetic 2000-2999 836 -> 838 and 3000-3999 841 -> 845 (none broken), 1000-1199 157 ->
# 158; 5000-5599, seeds 0-199, ORAND held-out, forms, words, signs, times, pairs and printed
# numbers page for page the same.
SHORT_HIGH_H = 0.6      # (x line height) a unit this short ...
SHORT_HIGH_ABOVE = 0.1  # ... whose middle lies this far above its tall neighbours' middles


def sits_high(boxes: list, a: int, line_h: float) -> bool:
    """Is unit a (boxes: each unit's box, None for none) short and high beside a tall
    neighbour, as the broken-off top of a digit is? (see SHORT_HIGH_H)"""
    box = boxes[a]
    if box is None or box[3] >= SHORT_HIGH_H * line_h:
        return False
    tall = [boxes[b] for b in (a - 1, a + 1)
            if 0 <= b < len(boxes) and boxes[b] is not None and boxes[b][3] >= 0.8 * line_h]
    if not tall:
        return False
    middle = sum(t[1] + t[3] / 2 for t in tall) / len(tall)
    return box[1] + box[3] / 2 <= middle - SHORT_HIGH_ABOVE * line_h


def read_as_ones(plan: LinePlan, probs: np.ndarray, whole: tuple | None = None):
    """(unit, its piece) of each unit whose whole reading is a "1"."""
    units, singles, best, _ = whole or whole_readings(plan, probs)
    return [(a, p) for a, p, b in zip(units, singles, best, strict=True) if b == 1]


def maybe_two_ones(plan: LinePlan, probs: np.ndarray, pieces: list[Piece],
                   min_width: float = 0.45, whole: tuple | None = None) -> np.ndarray:
    """Per unit: read as a "1" but wide enough to be two touching 1s (a thin "11" squeezed
    into one crop looks like one thick 1)."""
    out = np.zeros(len(plan.units), bool)
    for a, p in read_as_ones(plan, probs, whole):
        out[a] = pieces[p].box[2] > min_width * plan.line_h
    return out


def unsure_ones(plan: LinePlan, probs: np.ndarray, pieces: list[Piece],
                whole: tuple | None = None) -> np.ndarray:
    """Per unit: read as a "1", but under DOUBT_SURE (see ones_joined_at_top)."""
    out = np.zeros(len(plan.units), bool)
    for a, p in read_as_ones(plan, probs, whole):
        out[a] = probs[p, 1] < DOUBT_SURE
    return out


# A thin 1 leaning on its neighbour ("13", "81", "91") reads as that neighbour alone, often
# sure, so the pair was never in doubt and the 1 was lost. Such a unit is cut, and whole it
# pays the price of two strokes apart. Tuning (2026-12-04): synthetic pages 5000-5599 one more
# right, none broken; ORAND training images the same. Looser (the digit over 0.7 of the rows,
# no straightness test) split 6s into "10" and 4s into "11" and cost 40 pages.
BESIDE_MIN_W = 0.65      # (x line height) a unit this wide may be a digit with a 1 beside it
# (0.45 read the same, with a quarter more units to look at)
BESIDE_MIN_H = 0.7       # ... and this tall
BESIDE_VALLEY = 0.2      # the projection where they touch is at most this share of its peak
BESIDE_STROKE_W = 0.35   # (x unit height) the 1 spans at most this many columns ...
BESIDE_STROKE_ROWS = 0.8  # ... and this share of the unit's rows (a 1 whose top is below
BESIDE_REST_ROWS = 0.85   # its neighbour's), the digit 0.85 (the stem of a 6 rises well
# above its loop). The 1's 0.8 was 0.85 until units read as 4 were no longer asked (an open
# 4's arm is a stroke beside a stroke: a 4 read "17" on a fresh page): synthetic tuning 83.0
# -> 83.2 %, fresh and ORAND the same; 0.75: 2 tuning pages broken.
BESIDE_NARROWER = 0.5    # the 1 spans at most this share of the digit's columns
BESIDE_STRAIGHT = 0.06   # (x unit height) how far the 1's middle may stray from a line
# (0.045: the "81" page lost again; 0.09: 2 pages broken)


def one_beside(plan: LinePlan, probs: np.ndarray, book: PieceBook,
               whole: tuple | None = None) -> np.ndarray:
    """Per unit: read as one digit other than 1 (or 4, itself a stroke beside a stroke), wide
    and tall enough to be that digit with a 1 touching it, and its stroke mask shows that 1
    (side_valleys, stroke_beside)."""
    out = np.zeros(len(plan.units), bool)
    units, singles, bests, _ = whole or whole_readings(plan, probs)
    for a, p, best in zip(units, singles, bests, strict=True):
        _, _, w, h = book.pieces[p].box
        if (best in (1, 4, NON_DIGIT) or w <= BESIDE_MIN_W * plan.line_h
                or h < BESIDE_MIN_H * plan.line_h):
            continue
        mask = book.unit_mask(plan.units[a])
        proj = middle_projection(mask)
        out[a] = any(stroke_beside(mask, c, proj) for c in side_valleys(mask, proj))
    return out


def middle_projection(mask: np.ndarray) -> np.ndarray:
    """Ink per column of `mask`'s middle rows (int32)."""
    band = middle_rows(mask).view(np.uint8)
    return cv2.reduce(band, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()


def side_valleys(mask: np.ndarray, proj: np.ndarray | None = None) -> list[int]:
    """Where a 1 beside a digit could part from it: on each side, the column of least ink
    (middle rows) within BESIDE_STROKE_W unit heights of the edge, if it is nearly empty.
    Cheap, so that every sure digit can be asked (most have none). (The first nearly empty
    column from the edge instead: 3 synthetic tuning pages broken, none fixed.) `proj`: the
    mask's middle_projection, if already known."""
    h, w = mask.shape
    reach = min(int(BESIDE_STROKE_W * h) + 1, w // 2)
    if reach < 2:
        return []
    # (as a list: a few dozen numbers, where numpy's cost per call would dominate)
    counts = (middle_projection(mask) if proj is None else proj).tolist()
    peak = max(counts)
    if peak <= 0:
        return []
    out = []
    for lo, hi in ((1, reach), (w - reach, w - 1)):
        side = counts[lo:hi]
        least = min(side)
        if least <= BESIDE_VALLEY * peak:
            out.append(lo + side.index(least))  # the first column of least ink
    return out


def stroke_beside(mask: np.ndarray, cut: int, proj: np.ndarray | None = None) -> bool:
    """Is `mask` a thin straight stroke (a 1) and a digit, nearly apart at column `cut`? The
    stroke side is narrow, much narrower than the other, and both span nearly all rows (a 4's
    arm beside its stem, or a 6's loop beside its stem, does not). `proj`: the mask's
    middle_projection, if already known."""
    h, w = mask.shape
    if proj is None:
        proj = middle_projection(mask)
    # (plain ints: a few dozen columns, where numpy's per-call cost would dominate)
    counts = proj.tolist()
    peak = max(counts, default=0)
    if peak <= 0 or not 0 < cut < w:
        return False
    if min(counts[max(0, cut - 1): cut + 2]) > BESIDE_VALLEY * peak:
        return False
    inked_cols = mask.any(0)
    left_cols = int(np.count_nonzero(inked_cols[:cut]))
    right_cols = int(np.count_nonzero(inked_cols)) - left_cols
    for stroke_cols, rest_cols, stroke, rest in ((left_cols, right_cols, mask[:, :cut], mask[:, cut:]),
                                                 (right_cols, left_cols, mask[:, cut:], mask[:, :cut])):
        # (the share of inked rows as a count over the height: the float np.mean gives)
        if (stroke_cols <= BESIDE_STROKE_W * h and stroke_cols <= BESIDE_NARROWER * rest_cols
                and rest_cols > BESIDE_STROKE_W * h
                and np.count_nonzero(stroke.any(1)) / h >= BESIDE_STROKE_ROWS
                and np.count_nonzero(rest.any(1)) / h >= BESIDE_REST_ROWS
                and is_straight(stroke, h)):
            return True
    return False


ONE_MIN_H = 0.8   # (x line height) a 1 told by its shape is this tall ...
ONE_MAX_STROKE = 6  # ... and its rows in the 28 x 28 crop hold at most this much ink
ONE_MAX_SLANT = 0.4  # ... and it leans at most this (columns per row, ~22 degrees): the
# slash of a date ("12/05") leans more and stays out


def upright_one(piece: Piece, line_h: float) -> bool:
    """Is this piece a 1 by its shape: one straight stroke, nearly upright, as tall as the
    line's digits? (The classifier reads a small blurred 1 as "not a digit", as it would a
    dash or a slash; in a line of digits such a stroke is a 1.)"""
    if piece.crop is None or piece.box[3] < ONE_MIN_H * line_h:
        return False
    mask = piece.crop >= LOOP_PAPER
    rows = mask.sum(1)
    if not mask.any() or float(rows[rows > 0].mean()) > ONE_MAX_STROKE:
        return False
    line = stroke_line(mask)
    return (line is not None and abs(line[0]) <= ONE_MAX_SLANT
            and line[1] <= BESIDE_STRAIGHT * MNIST_BOX)


def row_middles(stroke: np.ndarray, counts: list[int] | None = None) -> tuple[list[int], list[float]]:
    """(the inked rows of `stroke`, the weighted middle column of each), as lists: a stroke
    has a few dozen rows, where numpy's cost per call would outweigh the arithmetic.
    `counts`: the ink in each of its rows, if known."""
    if counts is None:
        counts = stroke.sum(1).tolist()
    sums = (stroke.view(np.uint8) @ np.arange(stroke.shape[1])).tolist()
    rows = [i for i, count in enumerate(counts) if count]
    return rows, [sums[i] / counts[i] for i in rows]


def stroke_line(stroke: np.ndarray) -> tuple[float, float] | None:
    """The least-squares line through the middles of `stroke`'s inked rows -> (its slant,
    columns per row; how far the farthest middle strays from it, px); None under 3 rows."""
    rows, middles = row_middles(stroke)
    if len(rows) < 3:
        return None
    slant, strays = fitted_slant(rows, middles)
    return slant, max(abs(v) for v in strays)


def fitted_slant(rows: list[int], middles: list[float]) -> tuple[float, list[float]]:
    """The least-squares slant (columns per row) of the middles over the rows, and how far
    each middle strays from that line (px)."""
    # (closed form, in plain floats: np.polyfit costs ~10x more, numpy's calls ~3x)
    n = len(rows)
    row_mean, middle_mean = sum(rows) / n, sum(middles) / n
    r = [v - row_mean for v in rows]
    m = [v - middle_mean for v in middles]
    slant = sum(a * b for a, b in zip(r, m, strict=True)) / sum(a * a for a in r)
    return slant, [b - slant * a for a, b in zip(r, m, strict=True)]


# Separators a number is written with read as sure 1s: a date's slashes ("12/05/2026" read
# "1210512026") and a phone number's parentheses ("(555) 123" read "15551 123"). By its shape
# a slash is a 1 that leans far and a parenthesis a bowed 1, and handwritten 1s do both (a
# quarter of MNIST's 1s lean over 22 degrees; 8 % of its training 1s bow left and 5 % right by
# PAREN_BOW or more), so the number round them decides:
# - a date: two strokes that cut the line into a calendar date's groups (DATE_GROUPS), the
#   whole line, its digits written close (SEPARATOR_GAP), as tall as them, leaning far more
#   than they do and more than its other 1s (a writer's 1s lean alike);
# - parentheses: a stroke bowed left and a later one bowed right, digits written close between
#   them (PAREN_INSIDE), both taller than those digits. A 7 bows either way, so only 1s count:
#   a deeply bowed ")" (over 0.2 of its height) reads as a 7 and stays (taking 7s too broke 5
#   ORAND cheques).
# They are left out like a dash (separator_digits).
SEPARATOR_STROKE = 6    # a separator's rows in the 28 x 28 crop hold at most this much ink
SLASH_LEAN = 0.25       # a date's slash leans this much more than the writer's other digits
# (columns per row, by their median lean; 14 degrees) ...
SLASH_BOW = 0.06        # ... bows less than this (x its height) ...
SLASH_TALL = 0.95       # ... and is at least this tall (x the other digits' median height)
PAREN_BOW = 0.05        # a parenthesis's middle bows this far off its ends' chord (x its height)
PAREN_SLANT = 0.4       # ... and it leans at most this (columns per row)
PAREN_TALLER = 1.05     # ... and is this much taller than the digits it holds (median),
PAREN_INSIDE = 2        # ... at least this many ("(5)" on a form was a 1, a 5 and a 1)
DATE_GROUPS = ((1, 2), (1, 2), (2, 4))  # digits in a date's day, month and year
SEPARATOR_GAP = 0.6     # (x line height) no gap in a date, or inside parentheses, is wider


def stroke_shape(crop: np.ndarray | None) -> tuple[float, float] | None:
    """(slant: columns per row, negative when the top is to the right as in "/"; bow: how far
    the middle half's rows' middles lie off the chord between the top and bottom eighths'
    middles, x the height, negative when it bulges left as "(") of a crop that is one thin
    stroke (SEPARATOR_STROKE), else None."""
    if crop is None:
        return None
    mask = crop >= LOOP_PAPER
    counts = mask.sum(1).tolist()
    rows, middles = row_middles(mask, counts)
    n = len(rows)
    if n < 8 or sum(counts) / n > SEPARATOR_STROKE:
        return None
    slant, _ = fitted_slant(rows, middles)
    k = max(1, n // 8)
    top_r, top_m = sum(rows[:k]) / k, sum(middles[:k]) / k
    bottom_r, bottom_m = sum(rows[-k:]) / k, sum(middles[-k:]) / k
    rise, run = bottom_m - top_m, bottom_r - top_r
    quarter = n // 4
    off_chord = [m - (top_m + (r - top_r) * rise / run)
                 for r, m in zip(rows[quarter:n - quarter], middles[quarter:n - quarter], strict=True)]
    return slant, sum(off_chord) / len(off_chord) / n


def digit_lean(crop: np.ndarray | None) -> float:
    """How far a crop's ink leans (columns per row by its second moments, positive when the
    top is to the right): the writer's slant, read off any digit."""
    if crop is None:
        return 0.0
    m = cv2.moments(crop)
    return -m["mu11"] / m["mu02"] if m["mu02"] > 1e-6 else 0.0


def date_places(n: int) -> list[tuple[int, int]]:
    """(first, second): where a date's two slashes can stand among n digits (DATE_GROUPS)."""
    (d_lo, d_hi), (m_lo, m_hi), years = DATE_GROUPS
    return [(first, second) for first in range(d_lo, d_hi + 1)
            for second in range(first + m_lo + 1, first + m_hi + 2) if n - second - 1 in years]


def calendar_date(labels: list[int], first: int, second: int) -> bool:
    """Do a line's digits, cut before `first` and `second` (its slashes), make a date: day and
    month in either order, a year of two digits or 19xx / 20xx?"""
    def number(digits) -> int:
        return int("".join(str(d) for d in digits))
    a, b = number(labels[:first]), number(labels[first + 1:second])
    year = labels[second + 1:]
    return (1 <= min(a, b) and max(a, b) <= 31 and min(a, b) <= 12
            and (len(year) == 2 or number(year[:2]) in (19, 20)))


def date_slashes(labels: list[int], shapes: list, crops: list, heights: list[int],
                 apart: np.ndarray) -> list[int]:
    """Indices of a date's two slashes among a line's digits (label, stroke_shape, crop (its
    digit_lean is asked only where a date's labels and slashes' shapes fit) and box height of
    each, left to right; `apart`: is the gap after each wider than SEPARATOR_GAP), or []: see
    SLASH_LEAN."""
    n = len(labels)
    if apart.any():
        return []
    for pair in date_places(n):
        first, second = pair
        if any(labels[j] != 1 or shapes[j] is None or abs(shapes[j][1]) >= SLASH_BOW
               for j in pair) or not calendar_date(labels, first, second):
            continue
        rest = [j for j in range(n) if j not in pair]
        least = min(-shapes[j][0] for j in pair)
        writer = median_of([digit_lean(crops[j]) for j in rest])
        usual_h = median_of([float(heights[j]) for j in rest])
        if (least >= writer + SLASH_LEAN
                and min(heights[j] for j in pair) >= SLASH_TALL * usual_h
                and all(-shapes[j][0] < least for j in rest
                        if labels[j] == 1 and shapes[j] is not None)):
            return list(pair)
    return []


def parentheses(labels: list[int], shapes: list, heights: list[int],
                apart: np.ndarray) -> list[int]:
    """Indices of pairs of parentheses among a line's digits (label, stroke_shape and box
    height of each, left to right; `apart` as for date_slashes): see PAREN_BOW."""
    def bowed(j: int, side: int) -> bool:
        s = shapes[j]
        return (labels[j] == 1 and s is not None and side * s[1] >= PAREN_BOW
                and abs(s[0]) <= PAREN_SLANT)
    found: list[int] = []
    j = 0
    while j < len(labels):
        if bowed(j, -1):
            for k in range(j + 1 + PAREN_INSIDE, len(labels)):
                if apart[j:k].any():
                    break
                inside = median_of([float(v) for v in heights[j + 1:k]])
                if bowed(k, 1) and min(heights[j], heights[k]) >= PAREN_TALLER * inside:
                    found += [j, k]
                    j = k
                    break
        j += 1
    return found


# A tick after a number (a teacher's check mark, "4096 ✓") reads as a sure 1 of its own
# ("4096 1"). A tick is a V with a short left arm: in the lower half of its crop, TICK_ROWS of
# the rows or more cross two strokes, as under 0.4 % of MNIST's training 1s do (a foot, a
# hook), and in the upper half under half as many, the two closing in going down (two 1s
# side by side read as one cross two all the way up, or part going down: a synthetic page's
# "11" went without those tests). The last digit of a line, standing apart (SEPARATOR_GAP),
# read as such a 1, is left out.
TICK_ROWS = 0.4


def tick_shaped(crop: np.ndarray | None) -> bool:
    """Is `crop` a tick: two strokes in TICK_ROWS of its lower half's rows or more, in under
    half as many above, closing in going down?"""
    if crop is None:
        return False
    mask = crop >= LOOP_PAPER
    rows = np.nonzero(mask.any(1))[0]
    if rows.size < 8:
        return False
    inked = mask[rows].view(np.int8)
    crossings = (np.diff(inked, axis=1, prepend=0) == 1).sum(axis=1)
    half = rows.size // 2
    # (two strokes all the way up are two 1s side by side, not a tick's one long arm)
    if not (np.mean(crossings[half:] >= 2) >= TICK_ROWS
            and np.mean(crossings[:half] >= 2) < TICK_ROWS / 2):
        return False
    # ... and the two arms close in going down, to the tick's point (two 1s leaning together
    # at the top part going down)
    two = inked[crossings >= 2][[0, -1]]  # (the highest and the lowest such row)
    first, last = two.argmax(axis=1), two.shape[1] - 1 - two[:, ::-1].argmax(axis=1)
    gaps = last - first + 1 - two.sum(axis=1)  # (paper between the row's outer strokes)
    return bool(gaps[1] < gaps[0])


# A plus sign between or before digits ("5+3", "+7": two straight strokes crossing) was never
# trained as a non-digit and reads as a sure 7 or 4 ("573", "77"). A 4 or 7 no taller than
# PLUS_MAX_H line heights, whose middle lies within PLUS_OFF_MIDDLE line heights of the other
# digits' (a plus stands on the line's middle; a small digit stands on the baseline), whose
# crop is a bar and a stem crossing in their middle halves (plus_shaped) is left out. Rendered
# probes (plus signs 0.45-0.8 of a 30 or 50 px digit's height, turned up to 8 degrees): 0 -> 61
# of 96 read right (the rest: a plus cut in two, "5463"). It fired on no page of the tuning
# sets (ORAND training, synthetic 5000-5599 and 6000-6399, forms 5000-5299, words 5000-5199),
# of 700 fresh synthetic pages and 300 fresh forms, or of the held-out sets. The shape alone
# fits 16 of MNIST's 60,000 training digits (12 of them 4s) and 4 of its 10,000 test digits.
PLUS_MAX_H = 0.85
PLUS_READ_AS = (4, 7)   # what the probes' plus signs read as
PLUS_OFF_MIDDLE = 0.15
PLUS_ARM_SHARE = 0.9    # share of a stroke's lines away from the crossing that must be the
PLUS_ARM_WIDTH = 0.35   # ... other stroke alone: one run, at most this share of the box wide,
PLUS_ARM_OFF = 0.2      # ... centred within this share of the box of the crossing


def plus_signs(pieces: list[Piece], labels: list[int], line_h: float) -> np.ndarray:
    """Per digit of a line (its pieces and labels, left to right): a plus sign read as a 4 or
    a 7 (PLUS_READ_AS; see PLUS_MAX_H)?"""
    out = np.zeros(len(pieces), bool)
    if len(pieces) < 2:
        return out  # (a lone piece has no line's middle to stand on)
    middles = [p.box[1] + p.box[3] / 2 for p in pieces]
    for j, p in enumerate(pieces):
        if labels[j] not in PLUS_READ_AS or p.box[3] > PLUS_MAX_H * line_h:
            continue
        others = median_of(middles[:j] + middles[j + 1:])
        out[j] = abs(middles[j] - others) <= PLUS_OFF_MIDDLE * line_h and plus_shaped(p.crop)
    return out


def crop_ink(crop: np.ndarray | None, min_rows: int, min_cols: int) -> np.ndarray | None:
    """A crop's ink (pixels of LOOP_PAPER or more, bool) cut to its ink box; None without a
    crop, or when fewer than `min_rows` rows or `min_cols` columns hold ink."""
    if crop is None:
        return None
    mask = crop >= LOOP_PAPER
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size < min_rows or cols.size < min_cols:
        return None
    return mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def plus_shaped(crop: np.ndarray | None) -> bool:
    """Is `crop` a plus: a bar and a stem crossing in the middle halves of its ink box, every
    row away from the bar the stem alone and every column away from the stem the bar alone
    (PLUS_ARM_SHARE of them)?"""
    ink = crop_ink(crop, 6, 6)
    if ink is None:
        return False
    h, w = ink.shape
    if not 0.6 <= w / h <= 1.6:
        return False
    bar = heaviest_line(ink.sum(1).tolist())   # the bar's row
    stem = heaviest_line(ink.sum(0).tolist())  # the stem's column
    if not (0.25 * h <= bar <= 0.75 * h and 0.25 * w <= stem <= 0.75 * w):
        return False
    return (one_arm(ink, bar, stem, max(2.0, 0.15 * h))
            and one_arm(np.ascontiguousarray(ink.T), stem, bar, max(2.0, 0.15 * w)))


def heaviest_line(ink_per_line: list[int]) -> float:
    """The mean index of the lines (rows or columns) holding 0.7 of the most ink or more."""
    least = 0.7 * max(ink_per_line)
    heavy = [i for i, ink in enumerate(ink_per_line) if ink >= least]
    return sum(heavy) / len(heavy)


def one_arm(ink: np.ndarray, crossing_row: float, crossing_col: float, near: float) -> bool:
    """Are the rows of `ink` further than `near` from `crossing_row` (three or more) each one
    narrow run centred near `crossing_col` (PLUS_ARM_SHARE of them, see PLUS_ARM_WIDTH)?"""
    h, w = ink.shape
    far = [i for i in range(h) if abs(i - crossing_row) > near]
    if len(far) < 3:
        return False
    good = 0
    for row in ink[far].tolist():  # (plain lists: numpy's calls per row cost more than the work)
        run = first_run(row)
        if run is None:
            continue
        start, end = run
        good += (True not in row[end:]  # (one run)
                 and end - start <= PLUS_ARM_WIDTH * w
                 and abs((start + end - 1) / 2 - crossing_col) <= PLUS_ARM_OFF * w)
    return good >= PLUS_ARM_SHARE * len(far)


def wide_gaps(pieces: list[Piece], line_h: float) -> np.ndarray:
    """Per gap between neighbouring pieces (left to right): is it wider than SEPARATOR_GAP?"""
    boxes = np.array([p.box for p in pieces], np.float64).reshape(-1, 4)
    return boxes[1:, 0] - (boxes[:-1, 0] + boxes[:-1, 2]) > SEPARATOR_GAP * line_h


# A dollar sign before a number ("$125") reads as a sure 5: an S with a stem through it. It is
# told by its stem: the crop's ink box begins and ends with rows that are each one narrow run
# (at most DOLLAR_STEM_W of the box wide) in the box's middle half, DOLLAR_STEM of its height
# and DOLLAR_STEM_ROWS rows or more at each end (a 5 begins with its flat top bar), and the
# stem's column (a pixel either side) is inked in DOLLAR_THROUGH of the rows. Probe (OpenCV's
# two script fonts' "$" before 2-5 MNIST test digits, 48 seeds): the "$" left out in 46, and
# 0 -> 44 read right (two misread a digit). The stem's ends alone took a 5 of held-out form 46
# and one of fresh page 7471 for dollar signs (their stems' columns inked in 0.25 and 0.5 of
# the rows, the probe's signs in 0.7-0.8); with both tests every tuning, held-out and fresh set
# reads as before, and the shape fits none of MNIST's 892 test 5s. A slanted 8 can have both
# stem ends, so only a 5 is taken for a dollar sign.
DOLLAR_READ_AS = 5
DOLLAR_STEM = 0.1
DOLLAR_STEM_ROWS = 2
DOLLAR_STEM_W = 0.25
DOLLAR_THROUGH = 0.65


def dollar_signs(pieces: list[Piece], labels: list[int]) -> np.ndarray:
    """Per digit of a line (its pieces and labels, left to right): a dollar sign read as a 5,
    before another digit (see DOLLAR_STEM)?"""
    out = np.zeros(len(pieces), bool)
    for j in range(len(pieces) - 1):
        if labels[j] == DOLLAR_READ_AS and dollar_shaped(pieces[j].crop):
            out[j] = True
    return out


def dollar_shaped(crop: np.ndarray | None) -> bool:
    """Does `crop`'s ink box begin and end with a lone stem (see DOLLAR_STEM)?"""
    ink = crop_ink(crop, 8, 4)
    if ink is None:
        return False
    h, w = ink.shape
    least = max(DOLLAR_STEM_ROWS, math.ceil(DOLLAR_STEM * h))
    if least >= h / 2:
        return False
    middles = []  # of the stem's rows: the first `least` rows, then the last
    for i in [*range(least), *range(h - least, h)]:
        xs = np.flatnonzero(ink[i])
        if xs.size == 0 or xs[-1] - xs[0] + 1 != xs.size:  # (one run)
            return False
        middle = (xs[0] + xs[-1]) / 2
        if not (xs.size <= max(2.0, DOLLAR_STEM_W * w) and 0.25 * w <= middle <= 0.75 * w):
            return False
        middles.append(middle)
    # ... and the stem runs on through the S: its column (a pixel either side) is inked in
    # DOLLAR_THROUGH of the rows
    x = int(round((middles[0] + middles[-1]) / 2))
    return np.count_nonzero(ink[:, max(0, x - 1):x + 2].any(1)) >= DOLLAR_THROUGH * h


# Signs written on to a number read as digits: "25%" as "2590", "#12" as "7712", "€25" as "625",
# "25°" as "250". Each reads as one digit or two that touch, of the kinds its probes read as
# (hand-drawn signs, synth.signed_number, and OpenCV's script fonts); there, at the end or the
# start of a number, the sign's shape is tested on all the ink round those digits (ink_round:
# the components inside their box widened by SIGN_REACH of its height, the number's digit
# beside them left out; a percent sign's loops are often specks apart from its slash). A sign
# a space away ("25 %", "€ 25") is looked for only as the line's last group (after the number)
# or its first (before it), at most SIGN_SPACE_MAX from the number: anywhere else its group
# may be a number of its own, and looking at every group cost 0.1-0.2 ms a busy page. Every
# threshold was checked against MNIST's digits and every tuning, held-out and fresh set
# (docs/engine-history.md, 2026-12-06 17:05 and 19:35).
SIGN_MIN_H = 0.5     # (x line height) a sign is at least this tall ...
SIGN_MAX_H = 1.5     # ... and at most this
SIGN_REACH = 0.3     # (x the digits' box height) how far round them its parts may lie
SIGN_SPACE_MAX = 1.5  # (x line height) a sign a space away is at most this far from its number


def signs_beside_numbers(pieces: list[Piece], labels: list[int], line_h: float,
                         comps: Components, confidences: list[float] | None = None) -> np.ndarray:
    """Per digit of a line (its pieces and labels, left to right): part of a percent sign
    after a number, of a number, euro or pound sign before one (the pound sign, a euro sign
    read as a 7 alone and a percent sign's pinhole loops only with the digits' `confidences`),
    or a degree sign after one?"""
    if len(pieces) < 2:
        return np.zeros(len(pieces), bool)
    apart = wide_gaps(pieces, line_h)
    out = (percent_signs(pieces, labels, line_h, comps, apart, confidences)
           | hash_signs(pieces, labels, line_h, comps, apart)
           | euro_signs(pieces, labels, line_h, comps, apart, confidences)
           | degree_signs(pieces, labels, apart))
    if confidences is not None:
        out |= pound_signs(pieces, labels, confidences, line_h, comps, apart)
    return out


def sign_digits(pieces: list[Piece], labels: list[int], line_h: float, comps: Components,
                apart: np.ndarray | None, after_number: bool, read_as: set[tuple[int, ...]],
                shaped, loopless: bool = False, whole_strokes: bool = False) -> np.ndarray:
    """Per digit of a line: part of a sign read as one digit or as two that touch (their
    labels one of `read_as`), written on right after (`after_number`) or right before a number
    (no wide gap between), or a space away as the line's last (first) group, whose ink (see
    ink_round) is `shaped`? A `loopless` sign read as one digit is not looked for where that
    digit's crop holds a loop (a 6, 8 or 0 as written: the crop's test costs a third of the
    ink's). `whole_strokes`: the ink holds the digits' own strokes whole, also where they
    reach out of the digits' box (a euro sign's bars, whose tips a cut left out)."""
    n = len(pieces)
    out = np.zeros(n, bool)
    if n < 2:
        return out
    if apart is None:
        apart = wide_gaps(pieces, line_h)
    if after_number:  # (first, last) digits of the sign, and the number's digit beside it
        edges = [j for j in range(1, n) if j == n - 1 or apart[j]]
        spans = [(first, j, first - 1) for j in edges for first in (j, j - 1)]
    else:
        edges = [j for j in range(n - 1) if j == 0 or apart[j - 1]]
        spans = [(j, last, last + 1) for j in edges for last in (j, j + 1)]
    for first, last, beside in spans:
        if not 0 <= beside < n or tuple(labels[first:last + 1]) not in read_as or out[first]:
            continue
        gap = beside if after_number else last  # (the gap between sign and number)
        if apart[gap] and (last < n - 1 if after_number else first > 0):
            continue  # (a space away only at the line's end or start: "25 %", "€ 25")
        if apart[gap] and (pieces[gap + 1].box[0] - sum(pieces[gap].box[::2])
                           > SIGN_SPACE_MAX * line_h):
            continue  # (too far off: a number of its own)
        if first < last and (pieces[last].box[0] > sum(pieces[first].box[::2]) or apart[first]):
            continue  # (two digits read from one sign touch)
        box = union_box([p.box for p in pieces[first:last + 1]])
        if not SIGN_MIN_H * line_h <= box[3] <= SIGN_MAX_H * line_h:
            continue
        if loopless and first == last and enclosed_loops(pieces[first].crop):
            continue
        sign_ids = {i for p in pieces[first:last + 1] for i in p.ids}
        leave_out = left_out_of_sign(sign_ids, set(pieces[beside].ids), whole_strokes)
        own = (sign_ids - leave_out if whole_strokes
               else split_off(comps, sign_ids - leave_out, set(pieces[beside].ids) - sign_ids))
        if shaped(ink_round(comps, box, SIGN_REACH * box[3], leave_out, own),
                  labels[first:last + 1]):
            out[first:last + 1] = True
    return out


def split_off(comps: Components, sign_ids: set[int], digit_ids: set[int]) -> set[int]:
    """The sign's components (label values) that lie apart, across, from the digit beside it
    (`digit_ids`: that digit's own components), to be taken whole: the segmenter split such a
    sign and read its other slice with the digit ("#375" read "7375", the sign's right half
    and the 3 read as one). Reaching out of the sign's box, they were left out of its ink.
    None where the digit has no component of its own (the sign is joined to it). Tuning
    (2026-12-07): `--sign #` seeds 0-199 3 more right, 1000-1199 5, fresh 3000-3199 3; no probe
    and no page of the standing sets read worse."""
    if not digit_ids or not sign_ids:
        return set()
    ids, boxes = comps.listed  # (a few ids each side: list lookups beat numpy's per-call cost)
    if not all(i in ids for i in sign_ids | digit_ids):
        return set()
    spans = {i: boxes[ids.index(i)][0:3:2] for i in sign_ids | digit_ids}
    return {i for i in sign_ids if not any(columns_meet(*spans[i], *spans[d]) for d in digit_ids)}


def columns_meet(x0: int, w0: int, x1: int, w1: int) -> bool:
    """Do the columns [x0, x0 + w0) and [x1, x1 + w1) share one?"""
    return x0 < x1 + w1 and x1 < x0 + w0


def left_out_of_sign(sign_ids: set[int], beside_ids: set[int], whole_strokes: bool) -> set[int]:
    """The components (label values) kept out of a sign's ink: those of the number's digit
    beside it, but for a stroke the sign shares with that digit, which stays the sign's.

    A sign touching its number is one component with it, or the segmenter gave a slice of the
    sign to the digit beside (a join): left out with the digit, it took the sign's own ink
    with it, and the sign read as digits ("69678%" read "696786"). Tuning (2026-12-07): `--sign
    %` seeds 0-199 7 more right, 1000-1199 2, fresh 3000-3199 6; `--sign £` 2 and 1; `--sign #`
    seeds 0-199 2; no probe and no page of the standing sets read worse. Not where the sign's
    own strokes are taken whole (`whole_strokes`, the euro sign): its shared stroke then brings
    the digit's whole ink too (two euro probes broken, four fixed)."""
    return beside_ids if whole_strokes else beside_ids - sign_ids


def ink_round(comps: Components, box: tuple[int, int, int, int], reach: float,
              leave_out: set[int], also: set[int] = frozenset()) -> np.ndarray | None:
    """Bool mask of the components (but `leave_out`, label values) that lie inside `box`
    widened by `reach` on every side, and of the components `also` wherever they lie, cut to
    their own box; None if none."""
    x, y, w, h = box
    left, top, right, bottom = comps.sides
    inside = ((left >= x - reach) & (top >= y - reach)
              & (right <= x + w + reach) & (bottom <= y + h + reach))
    for i in also:  # (a few ids: np.isin costs ~10x more)
        inside |= comps.ids == i
    ids, boxes = comps.listed
    found = [k for k in np.flatnonzero(inside).tolist() if ids[k] not in leave_out]
    if not found:
        return None
    ux, uy, uw, uh = union_box([boxes[k] for k in found])
    return ids_mask(comps.labels[uy:uy + uh, ux:ux + uw], tuple(ids[k] for k in found))


# A percent sign after a number ("25%" read "2590", "258"): two small loops, one high on the left
# and one low on the right, with a slash from the bottom left to the top right between them.
PERCENT_MAX_W = 1.1     # (x its height) the sign's ink is at most this wide
PERCENT_THIRD_HOLE = 0.5  # no third hole this big (x the second's area): two digits' loops, "98"
PERCENT_LOOP_H = 0.3    # (x its height) each of its two biggest holes is at most this tall ...
PERCENT_MIN_LOOP = 2    # ... and this many px each way or more (not a pinhole in a thick stroke)
PERCENT_APART_X = 0.2   # (x its width, height) the loops' middles lie this far apart, the top
PERCENT_APART_Y = 0.45  # one on the left ...
# (0.25 across until 2026-12-07: a narrow sign's loops stand nearly one above the other, their
# middles 0.18-0.25 of its width apart; `--sign %` 78.5 -> 81.5 %, fresh seeds 78.0 -> 82.0 %,
# no probe and no page of the standing sets read worse. MNIST: 6 training digits (5 8s, a 2)
# have the shape against 3, no test digit; at 0.15, 19 and three test 8s)
PERCENT_GAP_Y = 0.2     # ... with this share of the height between them (an 8's meet at its
PERCENT_EIGHT_GAP_Y = 0.3  # waist; read as an 8, this: a back-slanted 8 with small loops is the
PERCENT_OVERLAP_X = 0.25   # nearest digit) and overlapping at most this share of the width
# (the overlap was 0.05 until 2026-12-06 23:30: loops wide for their sign overlap by up to 0.22
# of its width; the same three MNIST training digits, two 8s and a 2, have the shape as before,
# no test digit. An 8's gap of 0.25 read 2 more probes but took two synthetic pages' 8s)
PERCENT_CORNER = 0.3    # the slash's ends ink the bottom-left and top-right corners, this far in
# what it reads as on the probes: one digit, or two that touch ("90", "96", "60", "18"; a "0"
# alone never); "11": its slash, and its filled loops taken for a 1 broken into dots (since
# 2026-12-07: mixed signs 1000-1199 95.5 -> 96.0 %, no other page of 6,980 changed)
PERCENT_READ_AS = ({(d,) for d in (1, 2, 6, 8, 9)}
                   | {(a, b) for a in (0, 1, 6, 9) for b in (0, 6, 8)} | {(1, 1)})


# Small writing closes a percent sign's loops to pinholes a pixel across, which PERCENT_MIN_LOOP
# refuses; a sign read as an unsure digit (under PERCENT_PINHOLE_UNSURE) may have them. Tuning
# (2026-12-07): `--sign %` seeds 0-199 4 more right, 1000-1199 2, fresh 3000-3199 4, mixed signs
# 1000-1199 3; no probe read worse. Without the confidence gate 25 probes were fixed, but a
# sure 8 of a synthetic page (12002, read at 0.996), its top loop closed to a pinhole, was
# taken for the sign.
PERCENT_PINHOLE_UNSURE = 0.99


def percent_signs(pieces: list[Piece], labels: list[int], line_h: float, comps: Components,
                  apart: np.ndarray | None = None,
                  confidences: list[float] | None = None) -> np.ndarray:
    """Per digit of a line (its pieces and labels, left to right; `apart`: wide_gaps, if
    known): part of a percent sign after a number (see PERCENT_MAX_W; with the digits'
    `confidences`, also PERCENT_PINHOLE_UNSURE)?"""
    out = sign_digits(pieces, labels, line_h, comps, apart, after_number=True,
                      read_as=PERCENT_READ_AS, shaped=percent_shaped)
    if confidences is not None:
        unsure = [label if conf < PERCENT_PINHOLE_UNSURE else -1
                  for label, conf in zip(labels, confidences, strict=True)]
        out |= sign_digits(pieces, unsure, line_h, comps, apart, after_number=True,
                           read_as=PERCENT_READ_AS,
                           shaped=lambda ink, read_as: percent_shaped(ink, read_as, min_loop=1))
    return out


def percent_shaped(ink: np.ndarray | None, read_as: list[int] | tuple[int, ...] = (),
                   min_loop: int | None = None) -> bool:
    """Is `ink` (bool, cut to its box) a percent sign, its loops open (see PERCENT_MAX_W) or
    filled in (see PERCENT_DOT)? `read_as`: the digits it reads as; `min_loop`: the least
    width and height of an open loop (px)."""
    if ink is None or min(ink.shape) < 6 or ink.shape[1] > PERCENT_MAX_W * ink.shape[0]:
        return False
    return percent_loops(ink, read_as, min_loop) or percent_dots(ink, read_as)


# A percent sign read as an 8 whose loops touch its slash has them under PERCENT_EIGHT_GAP_Y
# apart (0.27-0.30 of its height on the probes); its slash's tails still ink the box's far
# corners, the bottom left and the top right PERCENT_TAILS of it each way, where a back-slanted
# 8 has none: there its loops need only PERCENT_GAP_Y. Tuning (2026-12-07): `--sign %` seeds
# 0-199 4 more right, 1000-1199 3, fresh 3000-3199 2; no probe and no page of the standing sets
# read worse; the same five MNIST training 8s have the shape as before (at 0.15 one more, at 0.2
# a test 8). With such tails, the loops' middles may also be only PERCENT_TAILED_APART_X of
# the width apart across (not PERCENT_APART_X): a narrow sign's loops nearly one above the
# other, read as an 8 (0.18-0.19 on the probes). Tuning (2026-12-07): `--sign %` 0-199 2 more
# right, 1000-1199 3, fresh 3000-3199 4; no probe read worse; no MNIST digit more has the shape
# (at 0.12 a training 8).
PERCENT_TAILS = 0.1
PERCENT_TAILED_APART_X = 0.15


def slash_tails(ink: np.ndarray, share: float | None = None) -> bool:
    """Does `ink` (bool, cut to its box) reach the bottom-left and top-right `share` of its box
    each way, where a percent sign's slash ends (PERCENT_TAILS unless given)?"""
    h, w = ink.shape
    t = PERCENT_TAILS if share is None else share
    return bool(ink[int((1 - t) * h):, :max(1, int(t * w))].any()
                and ink[:max(1, int(t * h)), int((1 - t) * w):].any())


def percent_loops(ink: np.ndarray, read_as: list[int] | tuple[int, ...] = (),
                  min_loop: int | None = None) -> bool:
    """percent_shaped's test of a sign whose loops are open (see PERCENT_MAX_W)."""
    min_loop = PERCENT_MIN_LOOP if min_loop is None else min_loop
    h, w = ink.shape
    if hole_count(ink) < 2:
        return False
    loops = holes(ink)
    loops = loops[np.argsort(loops[:, 4])]
    if len(loops) > 2 and loops[-3, 4] >= PERCENT_THIRD_HOLE * loops[-2, 4]:
        return False  # (two digits' loops, "98")
    loops = loops[-2:]
    if loops[:, 3].max() > PERCENT_LOOP_H * h or loops[:, 2:4].min() < min_loop:
        return False  # (too big for a sign's loops, or a pinhole in a thick stroke)
    top, bottom = sorted(loops.tolist(), key=lambda loop: 2 * loop[1] + loop[3])
    tx, ty, bx, by = (top[0] + top[2] / 2, top[1] + top[3] / 2,
                      bottom[0] + bottom[2] / 2, bottom[1] + bottom[3] / 2)
    tails = slash_tails(ink)
    apart_x = PERCENT_TAILED_APART_X if tails else PERCENT_APART_X
    if not (bx - tx >= apart_x * w and by - ty >= PERCENT_APART_Y * h):
        return False
    # (an 8's loops meet at its waist, a percent sign's are apart; read as an 8, further still
    # unless its slash's tails reach the box's far corners)
    eight = list(read_as) == [8] and not tails
    gap_y = PERCENT_EIGHT_GAP_Y if eight else PERCENT_GAP_Y
    if (bottom[1] - (top[1] + top[3]) < gap_y * h
            or bottom[0] - (top[0] + top[2]) < -PERCENT_OVERLAP_X * w):
        return False
    return slash_tails(ink, PERCENT_CORNER)


# A percent sign whose loops are filled in or closed to pinholes (small or thick writing, "3%"
# read "38" or "31"): its ink less a band along its slash leaves two blobs. The slash runs from
# the middle of the first run of ink in the bottom PERCENT_SLASH_ENDS of the rows to the middle
# of the last run in the top ones, its top end PERCENT_SLASH_LEAN of the width or more to the
# right; the band is as thick as the slash's runs across the middle rows (their median, each
# row's shortest), and a pixel more each side. Of what is left, exactly two parts count (of at
# least half a smallest blob's square), each PERCENT_DOT[0]-PERCENT_DOT[1] of the height tall
# and PERCENT_DOT[0] of the height to PERCENT_DOT[2] of the width wide, round (PERCENT_DOT_ROUND)
# and solid (PERCENT_DOT_FILL of its box): one in the top left and one in the bottom right
# (their middles within PERCENT_DOT_CORNER of those sides), apart as open loops must be. An
# 8's loops and a 2's hook and foot are left as arcs or bars. Tuning seeds 0-199 145 -> 155 of
# 200 read right, 1000-1199 147 -> 156; one MNIST training 2 (of 70,000 digits, as drawn and at
# twice the size) has the shape, no test digit.
# (A dot 0.5 of the width wide at most until 2026-12-07: thick writing's dots are 0.56-0.58 of
# a small sign's width. At 0.6: `--sign %` seeds 1000-1199 167 -> 176 of 200, 0-199 175 -> 181,
# fresh 3000-3199 174 -> 177, a space away 166 -> 177; no probe read worse, no standing set's
# page changed; the same MNIST digits have the shape, no test digit. A dot's height, 0.4, left
# as it was: 0.45 read no more right. Since 2026-12-07 07:10 0.45: a small sign's thick dots
# are 0.42-0.43 of its height; mixed signs 1000-1199 96.0 -> 96.5 %, fresh 3000-3199 96.0 ->
# 96.5 %, no other page of 6,980 read differently but one wrong `--sign %` probe, still
# wrong; the same six MNIST training digits have the shape.)
PERCENT_SLASH_ENDS = 0.15
PERCENT_SLASH_LEAN = 0.3
PERCENT_DOT = (0.08, 0.45, 0.6)
PERCENT_DOT_ROUND = 1.5
PERCENT_DOT_FILL = 0.6
PERCENT_DOT_CORNER = 0.4
PERCENT_DOTS_MIN_W = 0.45  # (x its height) the sign is at least this wide (0.57-0.82 on the probes)


def first_run(row: list[bool]) -> tuple[int, int] | None:
    """(first column, column past its end) of the first run of ink in a row given as a list;
    None for a row without ink."""
    if True not in row:
        return None
    start = row.index(True)
    return start, row.index(False, start) if False in row[start:] else len(row)


def end_run_middles(block: np.ndarray, last: bool) -> list[float]:
    """The middle column of each inked row's first run of ink in `block` (bool), or of its
    last run. (Plain lists: a slash's end is a few rows, where numpy's calls cost more.)"""
    w = block.shape[1]
    out = []
    for row in block.tolist():
        if last:
            row.reverse()
        run = first_run(row)
        if run is not None:
            start, end = run
            out.append((2 * w - start - end - 1) / 2 if last else (start + end - 1) / 2)
    return out


def percent_dots(ink: np.ndarray, read_as: list[int] | tuple[int, ...] = ()) -> bool:
    """percent_shaped's test of a sign whose loops are filled in (see PERCENT_DOT)."""
    h, w = ink.shape
    if (min(h, w) < 8 or w < PERCENT_DOTS_MIN_W * h  # (cheap tests first: most asked are 1s)
            or not slash_tails(ink, PERCENT_CORNER)):
        return False
    band = max(1, int(round(PERCENT_SLASH_ENDS * h)))
    bottom, top = end_run_middles(ink[h - band:], last=False), end_run_middles(ink[:band], last=True)
    if not bottom or not top:
        return False
    foot, head = median_of(bottom), median_of(top)
    if head - foot < PERCENT_SLASH_LEAN * w:
        return False
    rows, starts, ends = row_runs(ink[int(0.4 * h):int(0.6 * h) + 1])  # (the middle rows)
    if rows.size == 0:
        return False
    first = np.ones(rows.size, bool)  # (True at each row's first run)
    np.not_equal(rows[1:], rows[:-1], out=first[1:])
    thick = order_stats.median(np.minimum.reduceat(ends - starts, np.flatnonzero(first)))
    slash = np.zeros(ink.shape, np.uint8)
    cv2.line(slash, (int(round(foot)), h - 1), (int(round(head)), 0), 1, max(1, int(round(thick + 2))))
    n, _, stats, middles = cv2.connectedComponentsWithStats(
        (ink & ~slash.view(bool)).view(np.uint8), connectivity=8)
    least, most_h, most_w = PERCENT_DOT
    smallest = max(3, (least * h) ** 2 / 2)
    blobs = [k for k, area in enumerate(stats[:, 4].tolist()) if k and area >= smallest]
    if len(blobs) != 2:
        return False
    for k in blobs:
        _, _, bw, bh, area = stats[k].tolist()
        if not (least * h <= bh <= most_h * h and least * h <= bw <= most_w * w
                and 1 / PERCENT_DOT_ROUND <= bw / bh <= PERCENT_DOT_ROUND
                and area >= PERCENT_DOT_FILL * bw * bh):
            return False
    upper, lower = sorted(blobs, key=lambda k: middles[k][1])
    gap_y = PERCENT_EIGHT_GAP_Y if list(read_as) == [8] else PERCENT_GAP_Y
    if stats[lower, 1] - (stats[upper, 1] + stats[upper, 3]) < gap_y * h:
        return False
    (x1, y1), (x2, y2) = middles[upper], middles[lower]
    near = PERCENT_DOT_CORNER
    return bool(x1 <= near * w and x2 >= (1 - near) * w and y1 <= near * h and y2 >= (1 - near) * h
                and x2 - x1 >= PERCENT_APART_X * w and y2 - y1 >= PERCENT_APART_Y * h)


# A number sign before a number ("#12") read as two digits ("7712"): two bars across two
# stems enclose one hole in the sign's middle (HASH_HOLE of its box each way from the middle),
# and each stroke runs on past the crossings: the rows above and below the hole and the columns
# left and right of it cross two strokes each (most lines of each band's outer half).
HASH_HOLE = 0.15
# (x its box) the hole is at least this wide and tall (not a pinhole). 0.08 until 2026-12-06
# 23:20: a thick or small sign's hole is 0.05 wide; `--sign #` 1000-1199 82.5 -> 87.5 %, no
# MNIST digit (test or training, as drawn or twice the size) has the shape at 0.04 or 0.03
HASH_HOLE_MIN = 0.04
HASH_STUBS = 0.5      # the strokes run on alike past both sides: each side's band >= 0.5 x
HASH_RATIO = (0.5, 1.6)  # (width / height) of its box
# what it reads as on the probes: its stems with the bars' halves are 7s ("77"), or it is one 7;
# cut in two, also "34" or "14" (since 2026-12-07: `--sign #` 1000-1199 87.5 -> 88.5 %, fresh
# seeds 3000-3199 91.0 -> 92.0 %, none read worse)
HASH_READ_AS = {(7,), (7, 7), (1, 7), (7, 1), (7, 4), (3, 4), (1, 4)}


def hash_signs(pieces: list[Piece], labels: list[int], line_h: float, comps: Components,
               apart: np.ndarray | None = None) -> np.ndarray:
    """Per digit of a line (as percent_signs): part of a number sign before a number (see
    HASH_HOLE)?"""
    return sign_digits(pieces, labels, line_h, comps, apart, after_number=False,
                       read_as=HASH_READ_AS, shaped=lambda ink, _: hash_shaped(ink))


def hash_shaped(ink: np.ndarray | None) -> bool:
    """Is `ink` (bool, cut to its box) a number sign (see HASH_HOLE, HASH_SOLID_BAND)?"""
    if not sign_sized(ink, HASH_RATIO):
        return False
    if hole_count(ink) == 0:
        return solid_hash(ink)
    h, w = ink.shape
    loops = holes(ink)
    x, y, lw, lh, _ = loops[np.argmax(loops[:, 4])].tolist()
    if not (abs(x + lw / 2 - w / 2) <= HASH_HOLE * w and abs(y + lh / 2 - h / 2) <= HASH_HOLE * h
            and lw >= HASH_HOLE_MIN * w and lh >= HASH_HOLE_MIN * h):
        return False
    above, below, left, right = y, h - y - lh, x, w - x - lw
    if not (balanced(above, below) and balanced(left, right)):
        return False
    # (each band from its outer edge: its half by the hole holds a thick bar)
    return all(two_strokes_across(band) for band in side_bands(ink, above, below, left, right))


def side_bands(ink: np.ndarray, above: int, below: int, left: int, right: int) -> tuple:
    """The bands of `ink` along its four sides, this many rows or columns deep, each turned so
    that its row 0 is the box's outer edge (as two_strokes_across reads them)."""
    h, w = ink.shape
    return (ink[:above], ink[h - below:][::-1], ink[:, :left].T, ink[:, w - right:][:, ::-1].T)


# A number sign drawn so thick that its hole filled in: a blob with two stubs on each side,
# the stems' ends above and below it and the bars' ends left and right. Each side's outer
# HASH_SOLID_BAND of the box crosses two strokes whose middles lie at most HASH_SOLID_APART of
# the box's side apart (0.27-0.36 on the probes; an x's arms end near its corners, 0.7 or
# more). 0: not looked for. Tuning (2026-12-07): `--sign #` seeds 1000-1199 3 of the 6 probes
# with no hole (in the other three the stems ran together but for their tips), 0-199 1 more,
# fresh 3000-3199 3; no probe and no page of the standing sets read worse; no MNIST digit (test
# or training, as drawn or twice the size) has the shape (without HASH_SOLID_APART a training 3,
# and every drawn x)
HASH_SOLID_BAND = 0.25
HASH_SOLID_APART = 0.5


def solid_hash(ink: np.ndarray) -> bool:
    """Is `ink` (bool, cut to its box, with no hole) a number sign whose hole filled in (see
    HASH_SOLID_BAND)?"""
    if not HASH_SOLID_BAND:
        return False
    h, w = ink.shape
    bh, bw = max(2, int(HASH_SOLID_BAND * h)), max(2, int(HASH_SOLID_BAND * w))
    return all(two_strokes_across(band, HASH_SOLID_APART) for band in side_bands(ink, bh, bh, bw, bw))


def balanced(a: int, b: int) -> bool:
    """Are the bands on two opposite sides of a number sign's hole alike (HASH_STUBS)?"""
    return HASH_STUBS * b <= a <= b / HASH_STUBS


def two_strokes_across(band: np.ndarray, apart: float | None = None) -> bool:
    """Do most rows of the outer half of `band` (bool, its row 0 the outer edge), less its
    outermost sixth (a stroke's rounded tip), cross exactly two runs of ink (with `apart`:
    their middles at most that share of the band's length apart)?"""
    n = band.shape[0]
    rows = band[n // 6:max(n // 6 + 1, n // 2)]
    if n < 2 or rows.shape[1] == 0:
        return False
    two = np.count_nonzero(runs_per_row(rows) == 2)
    if apart is None or two <= rows.shape[0] / 2:
        return two > rows.shape[0] / 2  # (with `apart`, too few rows cross two strokes at all)
    row, starts, ends = row_runs(rows)
    counts = np.bincount(row, minlength=rows.shape[0])
    first = (np.cumsum(counts) - counts)[counts == 2]  # (each such row's first run)
    gaps = (starts[first + 1] + ends[first + 1] - starts[first] - ends[first]) / 2
    return np.count_nonzero(gaps <= apart * rows.shape[1]) > rows.shape[0] / 2


def runs_per_row(mask: np.ndarray) -> np.ndarray:
    """How many runs of ink each row of `mask` (bool) holds."""
    # (a run starts at an inked column after a paper one, or at the first column; np.diff
    # with its prepend costs ~3x more on a sign's band)
    return np.count_nonzero(mask[:, 1:] > mask[:, :-1], axis=1) + mask[:, 0]


# A euro sign before a number ("€25") reads as a 6 or an 8: a C with two bars across its back.
# The C is open on the right (no ink in the right EURO_OPEN of the box in the middle fifth of
# its rows: the bars may reach far into the C, a 6's or a 0's loop closes there) while its ends
# reach there above and below; the bars stick out on the left (the left EURO_BARS of the box
# holds ink only in the middle half of the rows, in two runs down each column, for more than
# EURO_TWO_BARS of those columns). Its only holes are small ones between the bars, where they
# touch (each at most EURO_BAR_HOLE of the height tall, its middle within EURO_BAR_ROWS). A
# bar's tip that a cut left out of the digit read is taken back (sign_digits' whole_strokes).
# Until 2026-12-06 22:00 (open 0.25, no hole, the digit's box only) 54.5 % of the euro probes
# of seeds 1000-1199 read right: "€0" read "60" where the bars reached into the right quarter, met
# between them, or a cut had left their tips out.
EURO_OPEN = 0.15
EURO_BARS = 0.12
EURO_TWO_BARS = 0.3
EURO_BAR_HOLE = 0.1
EURO_BAR_ROWS = (0.3, 0.7)
EURO_RATIO = (0.6, 1.6)  # (width / height) of its box
# A small sign drawn with a thick pen has its bars run together into one, apart only at their
# tips: where some column of the left band holds two runs, a column with one run of ink this
# many times the height tall counts as holding both (the fused bars of the probes: 0.29-0.36 of
# the height; one bar is a pen's width, 0.07-0.13 of a digit's height in the generator).
# Tuning (2026-12-07): `--sign €` seeds 0-199 8 more right, 1000-1199 9, fresh 3000-3199 5; no
# probe and no page of the standing sets read worse; the same one MNIST training 4 has the
# shape as before (without the tips' two runs: 80 digits, 11 of them test digits, mostly 4s)
EURO_FUSED_BARS = 0.25
# It reads as a 6, 8 or 0, or as two digits that touch (as HASH_READ_AS), or as a 7 alone
# under EURO_SEVEN_UNSURE (the sign's 7s on the probes read 0.11-0.70; a page's 7s are mostly
# sure, and asking about them all cost 50 us a page): such a 7 is labelled UNSURE_SEVEN here.
UNSURE_SEVEN = -7
EURO_SEVEN_UNSURE = 0.9
EURO_READ_AS = {(6,), (8,), (0,), (UNSURE_SEVEN,), (7, 3), (UNSURE_SEVEN, 3), (6, 3)}


def euro_signs(pieces: list[Piece], labels: list[int], line_h: float, comps: Components,
               apart: np.ndarray | None = None,
               confidences: list[float] | None = None) -> np.ndarray:
    """Per digit of a line (as percent_signs, with its confidences if known): part of a euro
    sign before a number (see EURO_OPEN)?"""
    if confidences is not None:
        labels = [UNSURE_SEVEN if label == 7 and conf < EURO_SEVEN_UNSURE else label
                  for label, conf in zip(labels, confidences, strict=True)]
    return sign_digits(pieces, labels, line_h, comps, apart, after_number=False,
                       read_as=EURO_READ_AS, shaped=lambda ink, _: euro_shaped(ink),
                       loopless=True, whole_strokes=True)


def sign_sized(ink: np.ndarray | None, ratio: tuple[float, float], least: int = 8) -> bool:
    """Is `ink` (bool, cut to its box) worth a sign's shape test: `least` px or more each way,
    its width / height within `ratio`?"""
    return (ink is not None and min(ink.shape) >= least
            and ratio[0] <= ink.shape[1] / ink.shape[0] <= ratio[1])


def euro_shaped(ink: np.ndarray | None) -> bool:
    """Is `ink` (bool, cut to its box) a euro sign (see EURO_OPEN)?"""
    if not sign_sized(ink, EURO_RATIO):
        return False
    h, w = ink.shape
    right = ink[:, w - max(1, int(EURO_OPEN * w)):]
    if right[int(0.4 * h):int(0.6 * h) + 1].any():
        return False  # (closed on the right)
    if not (right[:int(0.3 * h)].any() and right[h - int(0.3 * h):].any()):
        return False  # (the C's ends reach the right above and below)
    left = ink[:, :max(1, int(round(EURO_BARS * w)))]
    if left[:int(0.25 * h)].any() or left[h - int(0.25 * h):].any():
        return False  # (the bars stand in the middle half)
    runs = runs_per_row(left.T)
    two = np.count_nonzero(runs == 2)
    if two and two <= EURO_TWO_BARS * left.shape[1]:  # (their tips apart: fused further in?)
        two += np.count_nonzero((runs == 1) & (np.count_nonzero(left, axis=0) >= EURO_FUSED_BARS * h))
    if two <= EURO_TWO_BARS * left.shape[1]:
        return False
    return hole_count(ink) == 0 or all(
        bh <= EURO_BAR_HOLE * h and EURO_BAR_ROWS[0] * h <= y + bh / 2 <= EURO_BAR_ROWS[1] * h
        for _, y, _, bh, _ in holes(ink).tolist())


# A pound sign before a number ("£25") reads as an unsure digit, mostly a 7, else a 1, 9, 4, 2,
# 5 or 8 (never above 0.91 on 98 probes: only digits under POUND_UNSURE are looked at, which
# keeps a page's sure 7s and 1s out of it; the three MNIST training 5s with its shape read
# 0.996). Its ink has no hole; a foot along its bottom (a run POUND_FOOT[1] of the width long in
# the bottom POUND_FOOT[0] of the rows); above the bar, a stem (one narrow run in most of the
# rows POUND_STEM, in the left middle); a bar across the stem reaching POUND_BAR_OUT of the
# width past it on both sides (a 5's belly starts at its stem and reaches right only); the hook
# of its top reaching the right (POUND_HOOK_X); and nothing on the right between the bar and the
# foot (POUND_OPEN).
POUND_READ_AS = {(7,), (1,), (9,), (4,), (2,), (8,), (5,)}
POUND_UNSURE = 0.9
POUND_RATIO = (0.45, 1.3)    # (width / height) of its box
POUND_FOOT = (0.2, 0.6)
POUND_STEM = (0.3, 0.42)
POUND_STEM_ROWS = 0.5        # (the share of those rows)
# (2/3 until 2026-12-07: a small sign's stem band is 4 rows, and its hook's curl makes two runs
# in one more of them; `--sign £` seeds 1000-1199 4 more right, 0-199 3, fresh 3000-3199 1; no
# probe and no page of the standing sets read worse; the same four MNIST training 5s fit)
POUND_STEM_X = (0.15, 0.6)   # (x the width) where the stem's middle lies ...
POUND_STEM_W = 0.45          # ... and how wide it is at most
# (0.35 until 2026-12-07: a thick pen's stem, or a stem leaning across its rows, is wider; 13
# of the 25 wrong `--sign £` probes, seeds 1000-1199: 87.5 -> 90.5 %, fresh seeds 88.0 -> 89.5 %.
# The same four MNIST training 5s fit as at 0.35, no test digit; at 0.5 a training 1 too)
POUND_BAR = (0.4, 0.75)      # (x the height) the rows the bar crosses the stem in
POUND_BAR_OUT = 0.25
POUND_HOOK_X = 0.6
# (first row, last row, first column) x the box: no ink there. The last row was 0.82 until
# 2026-12-06 23:05: a thick foot rising to the right reached it (20 of 37 wrong tuning probes);
# `--sign £` 1000-1199 80.0 -> 87.5 %. At 0.78 MNIST 2s fit (2 test, 7 training); at 0.8 the
# same four training 5s as at 0.82
POUND_OPEN = (0.68, 0.8, 0.65)


def pound_signs(pieces: list[Piece], labels: list[int], confidences: list[float], line_h: float,
                comps: Components, apart: np.ndarray | None = None) -> np.ndarray:
    """Per digit of a line (as percent_signs, with its confidences): a pound sign before a
    number, read as an unsure digit (see POUND_READ_AS)?"""
    unsure = [label if conf < POUND_UNSURE else -1 for label, conf in zip(labels, confidences,
                                                                          strict=True)]
    return sign_digits(pieces, unsure, line_h, comps, apart, after_number=False,
                       read_as=POUND_READ_AS, shaped=lambda ink, _: pound_shaped(ink))


def row_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, first column, column past the end) of every run of ink in `mask` (bool), row by
    row, left to right."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), np.int8)  # (np.pad costs ~10x more on a sign's box)
    padded[:, 1:-1] = mask.view(np.int8)
    edges = padded[:, 1:] - padded[:, :-1]
    rows, starts = np.nonzero(edges == 1)
    return rows, starts, np.nonzero(edges == -1)[1]


def pound_shaped(ink: np.ndarray | None) -> bool:
    """Is `ink` (bool, cut to its box) a pound sign (see POUND_READ_AS)?"""
    if not sign_sized(ink, POUND_RATIO) or hole_count(ink):
        return False
    h, w = ink.shape
    rows, starts, ends = row_runs(ink)
    long = ends - starts
    if not (long[rows >= h - max(1, int(POUND_FOOT[0] * h))] >= POUND_FOOT[1] * w).any():
        return False  # (no foot)
    r0, r1 = int(POUND_STEM[0] * h), int(POUND_STEM[1] * h)
    ones = np.flatnonzero(np.bincount(rows, minlength=h)[r0:r1 + 1] == 1) + r0
    if len(ones) < POUND_STEM_ROWS * (r1 + 1 - r0):
        return False  # (the stem is one run in most of its rows)
    stem = np.isin(rows, ones)
    middles = (starts[stem] + ends[stem]) / 2
    if (middles.min() < POUND_STEM_X[0] * w or middles.max() > POUND_STEM_X[1] * w
            or long[stem].max() > POUND_STEM_W * w):
        return False
    x = float(np.median(middles))
    bar = (rows >= int(POUND_BAR[0] * h)) & (rows <= int(POUND_BAR[1] * h))
    if not ((starts[bar] <= x - POUND_BAR_OUT * w) & (ends[bar] >= x + POUND_BAR_OUT * w)).any():
        return False  # (no bar across the stem)
    if not ink[:max(1, int(0.2 * h)), int(POUND_HOOK_X * w):].any():
        return False  # (no hook to the right at its top)
    o0, o1, ox = POUND_OPEN
    return not ink[int(o0 * h):int(o1 * h), int(ox * w):].any()


# A degree sign after a number ("25°") reads as a sure 0: a small ring written on to the top of
# the number, at most DEGREE_MAX_H of the digit before it tall, all of it above that digit's
# middle. Cents written small and raised on a cheque ("125⁰⁰") are two such 0s: the digit
# before a degree sign is a full one. A "C" written on after the ring ("25°C") reads as a 0
# too; it has no loop (a 0 as written has one), and goes with the ring.
DEGREE_MAX_H = 0.5
DEGREE_RATIO = (0.6, 1.7)  # (width / height) of the ring


def degree_signs(pieces: list[Piece], labels: list[int], apart: np.ndarray) -> np.ndarray:
    """Per digit of a line (its pieces, labels and wide_gaps): a degree sign read as a 0 at the
    end of a number, or the "C" after it (see DEGREE_MAX_H)?"""
    n = len(pieces)
    out = np.zeros(n, bool)
    for j in range(1, n):
        if labels[j] != 0 or apart[j - 1]:
            continue
        _, y, w, h = pieces[j].box
        _, by, _, bh = pieces[j - 1].box
        at_end = j == n - 1 or apart[j]
        celsius = (not at_end and labels[j + 1] == 0 and (j + 1 == n - 1 or apart[j + 1])
                   and pieces[j + 1].crop is not None and not looped(pieces[j + 1].crop)
                   and sum(pieces[j + 1].box[1::2]) > by + bh / 2)  # (the C stands on the line)
        if not (at_end or celsius):
            continue
        if (h <= DEGREE_MAX_H * bh and y + h <= by + bh / 2
                and DEGREE_RATIO[0] <= w / h <= DEGREE_RATIO[1]):
            out[j:j + 1 + celsius] = True
    return out


# A times sign between two numbers ("3x4", "20 x 30"), or before or after one at most
# SIGN_SPACE_MAX away ("x3", "2x"), reads as an unsure 7, 8 or 4 (under TIMES_UNSURE: every
# probe's x did, and most of a page's digits are surer), or is left out as no digit, where its
# strokes split the gap ("3x4" read "34") and the letter model may call it a letter (the number
# beside it was then taken for a printed word and read nothing). Its ink (ink_round, the digits
# either side left out) is two strokes crossing: all four corners inked (TIMES_CORNER of the
# box each way), the middle inked (TIMES_MIDDLE), the middles of the four sides empty
# (TIMES_SIDE of the box deep), two arms apart along every side (TIMES_ARMS: a 7's bar over a
# cheque's printed line inks the corners too, ORAND a_car_000873), and no hole. It is left out;
# two numbers either side are read apart, with a space between (as the letter model's x
# between figures, reader.infix_symbol). Probes (synth.times_number, seeds not tuned on): 56.0
# -> 94.5 % read right between, 28.5 -> 95.0 % before and 26.5 -> 97.0 % after a number. The
# shape fits none of MNIST's 70,000 digits, as drawn or at twice the size (side bands 0.12 deep
# fit 1-5 training digits; docs/engine-history.md, 2026-12-06 19:45).
TIMES_READ_AS = {(7,), (8,), (4,), (1,), (7, 1), (1, 8)}
TIMES_UNSURE = 0.9
TIMES_MIN_H = 0.3      # (x line height) the sign is at least this tall ...
TIMES_MAX_H = 1.2      # ... and at most this
TIMES_RATIO = (0.5, 1.6)  # (width / height) of its ink
TIMES_CORNER = 0.25
TIMES_SIDE = 0.15
TIMES_MIDDLE = (0.4, 0.6)
TIMES_ARMS = (0.1, 0.25)  # (x the box) the bands along each side where its two arms stand apart
TIMES_ARMS_SHARE = 0.5    # ... in this share of their lines or more


def times_shaped(ink: np.ndarray | None) -> bool:
    """Is `ink` (bool, cut to its box) a times sign, two strokes crossing (see TIMES_CORNER)?"""
    if not sign_sized(ink, TIMES_RATIO, least=6):
        return False
    h, w = ink.shape
    ch, cw = max(1, int(TIMES_CORNER * h)), max(1, int(TIMES_CORNER * w))
    if not (ink[:ch, :cw].any() and ink[:ch, w - cw:].any() and ink[h - ch:, :cw].any()
            and ink[h - ch:, w - cw:].any()):
        return False
    r0, r1 = int(TIMES_MIDDLE[0] * h), math.ceil(TIMES_MIDDLE[1] * h)
    c0, c1 = int(TIMES_MIDDLE[0] * w), math.ceil(TIMES_MIDDLE[1] * w)
    if not ink[r0:r1, c0:c1].any():
        return False
    sh, sw = max(1, int(TIMES_SIDE * h)), max(1, int(TIMES_SIDE * w))
    if (ink[:sh, c0:c1].any() or ink[h - sh:, c0:c1].any() or ink[r0:r1, :sw].any()
            or ink[r0:r1, w - sw:].any()):
        return False
    # two arms apart near each side: two runs across most rows of the top and bottom bands
    # and most columns of the left and right ones (a 7's bar is one run)
    a0, a1 = TIMES_ARMS
    for band in (ink[int(a0 * h):int(a1 * h) + 1], ink[h - 1 - int(a1 * h):h - int(a0 * h)],
                 ink[:, int(a0 * w):int(a1 * w) + 1].T, ink[:, w - 1 - int(a1 * w):w - int(a0 * w)].T):
        if np.count_nonzero(runs_per_row(band) == 2) < TIMES_ARMS_SHARE * len(band):
            return False
    return hole_count(ink) == 0


def times_signs(pieces: list[Piece], labels: list[int], confidences: list[float],
                line_h: float, comps: Components) -> np.ndarray:
    """Per digit of a line (its pieces, labels and confidences, left to right): part of a
    times sign between two digits, or before the first or after the last ("x3", "2x"), read as
    one unsure digit or two that touch (see TIMES_READ_AS)?"""
    n = len(pieces)
    out = np.zeros(n, bool)
    if n < 2:
        return out
    for first in range(n):
        if confidences[first] >= TIMES_UNSURE or (first and out[first - 1]):
            continue
        for last in (first, first + 1):
            if last >= n or tuple(labels[first:last + 1]) not in TIMES_READ_AS:
                continue
            if first < last and pieces[last].box[0] > sum(pieces[first].box[::2]):
                continue  # (two digits read from one sign touch)
            before = pieces[first - 1] if first else None
            after = pieces[last + 1] if last < n - 1 else None
            if (before is not None or after is not None) and times_between(
                    comps, [p.box for p in pieces[first:last + 1]], before, after, line_h):
                out[first:last + 1] = True
                break
    return out


def times_between(comps: Components, boxes, before: Piece | None, after: Piece | None,
                  line_h: float) -> bool:
    """Is the ink in `boxes` (of digits read, or of strokes no digit was read from), between
    the digits `before` and `after` (None: the line's start or end, the other digit at most
    SIGN_SPACE_MAX away), a times sign (see TIMES_READ_AS)?"""
    box = union_box(boxes)
    if not TIMES_MIN_H * line_h <= box[3] <= TIMES_MAX_H * line_h:
        return False
    if before is None or after is None:
        near = after.box[0] - (box[0] + box[2]) if before is None else box[0] - sum(before.box[::2])
        if near > SIGN_SPACE_MAX * line_h:
            return False
    leave_out = {*(before.ids if before else ()), *(after.ids if after else ())}
    return times_shaped(ink_round(comps, box, SIGN_REACH * box[3], leave_out))


def times_among_strokes(units: list[int], comps: Components, digits: list[Piece], line_h: float,
                        skip: set[int]) -> list[tuple[int, int, int, int]]:
    """Boxes of a line's strokes that no digit was read from (its `units` less the components
    of its `digits`, left to right, and of `skip`) lying between two digits, or before the
    first or after the last, that are a times sign (see TIMES_READ_AS): left out as no digit,
    but two numbers beside it are still apart (and a letter the letter model found there is
    no printed word)."""
    if not digits:
        return []
    used = {i for p in digits for i in p.ids} | skip
    rights = [p.box[0] + p.box[2] for p in digits]
    lefts = [p.box[0] for p in digits]
    out = []
    for u in units:
        if int(comps.ids[u]) in used:
            continue
        x, y, w, h = map(int, comps.boxes[u].tolist())
        if not TIMES_MIN_H * line_h <= h <= TIMES_MAX_H * line_h:
            continue
        centre = x + w / 2
        j = max((k for k, r in enumerate(rights) if r <= centre), default=-1)  # (before it)
        if j < len(digits) - 1 and centre > lefts[j + 1]:
            continue  # (inside a digit's box, not between digits)
        before = digits[j] if j >= 0 else None
        after = digits[j + 1] if j < len(digits) - 1 else None
        if times_between(comps, [(x, y, w, h)], before, after, line_h):
            out.append((x, y, w, h))
    return out


def looped(crop: np.ndarray | None) -> bool:
    """Does a crop's ink hold a hole (a loop of any size)?"""
    return crop is not None and hole_count(crop >= LOOP_PAPER) > 0


def separator_digits(pieces: list[Piece], labels: list[int], line_h: float) -> np.ndarray:
    """Per digit of a line (its pieces and labels, left to right; `line_h` its digits'
    height): is it a date's slash, a parenthesis (see SLASH_LEAN) or a tick after the number
    (see TICK_ROWS) read as a 1, a plus sign (see PLUS_MAX_H) read as a 4 or a 7, or a dollar
    sign read as a 5 (see DOLLAR_STEM)?"""
    out = plus_signs(pieces, labels, line_h) | dollar_signs(pieces, labels)
    if labels and labels[-1] == 1 and tick_shaped(pieces[-1].crop) and (
            len(labels) == 1 or wide_gaps(pieces[-2:], line_h)[0]):
        out[-1] = True  # a tick after the number
    ones = [j for j, label in enumerate(labels) if label == 1]
    a_date = any(labels[f] == 1 and labels[s] == 1 for f, s in date_places(len(labels)))
    if not a_date and not (ones and ones[-1] - ones[0] > PAREN_INSIDE):
        return out  # (most lines: no 1s where separators could stand)
    apart = wide_gaps(pieces, line_h)
    shapes = [stroke_shape(p.crop) if label == 1 else None
              for p, label in zip(pieces, labels, strict=True)]
    heights = [p.box[3] for p in pieces]
    if a_date:
        out[date_slashes(labels, shapes, [p.crop for p in pieces], heights, apart)] = True
    out[parentheses(labels, shapes, heights, apart)] = True
    return out


def is_straight(stroke: np.ndarray, h: int) -> bool:
    """Do the middles of `stroke`'s inked rows lie on a straight line (a 1, not the arc of a
    0 or 6)?"""
    line = stroke_line(stroke)
    return line is not None and line[1] <= BESIDE_STRAIGHT * h


STACKED_MAX_H = 0.6  # (x line height) each of two stacked parts is at most this tall ...
STACKED_MIN_H = 0.7  # ... and together at least this


def stacked_pairs(plan: LinePlan, pieces: list[Piece]) -> list[int]:
    """Units a whose neighbour a+1 is written right above or below them, each well short of
    the line and together about as tall as it: the two halves of one digit (an 8 whose loops
    came apart)."""
    out = []
    h = plan.line_h
    for a in range(len(plan.units) - 1):
        p, q = plan.single[a], plan.single[a + 1]
        if p is None or q is None:
            continue
        (x0, y0, w0, h0), (x1, y1, w1, h1) = pieces[p].box, pieces[q].box
        if max(h0, h1) > STACKED_MAX_H * h:
            continue
        overlap = min(x0 + w0, x1 + w1) - max(x0, x1)
        top, bottom = max(y0 + h0, y1 + h1), min(y0, y1)
        if overlap >= 0.5 * min(w0, w1) and top - bottom >= STACKED_MIN_H * h:
            out.append(a)
    return out


def stacked_halves(plan: LinePlan, pieces: list[Piece]) -> np.ndarray:
    """Per unit: one of two stacked halves (see stacked_pairs): an 8 whose loops came apart
    reads as two sure zeros, so neither is in doubt and the merge was never tried ("38153"
    read "300153")."""
    out = np.zeros(len(plan.units), bool)
    for a in stacked_pairs(plan, pieces):
        out[a] = out[a + 1] = True
    return out


# Tuning (2026-12-05): synthetic pages 5000-5599 85.2 % (138 -> 136 edits; the "6" -> "10" pages
# there had their loop joined to the next digit), fresh 6000-6399 81.2 -> 81.5 % (a "9" read
# "01" fixed), pages 1000-1199 (the benchmark's set, looked at for this) 76.0 -> 76.5 %; none
# broken; ORAND training images and the held-out sets the same.
LOOP_PART_H = 0.7  # (x the stem's height) a loop this much shorter than the "1" beside it ...
LOOP_PART_GAP = 0.2  # (x line height) ... and this close to it may be one digit with it


def stem_and_loop(plan: LinePlan, probs: np.ndarray, pieces: list[Piece]) -> np.ndarray:
    """Per unit: a "1" and a short "0" side by side, close together: a 6 (or 9) whose loop came
    off its stem reads as two sure digits, so neither is in doubt and the merge was never
    tried ("6" read "10")."""
    out = np.zeros(len(plan.units), bool)
    for a in range(len(plan.units) - 1):
        p, q = plan.single[a], plan.single[a + 1]
        if p is None or q is None:
            continue
        stem, loop = (p, q) if int(probs[p].argmax()) == 1 else (q, p)
        (x0, _, w0, _), (x1, _, _, _) = pieces[p].box, pieces[q].box
        if (int(probs[stem].argmax()) == 1 and loop_of_stem(probs, pieces, stem, loop)
                and x1 - (x0 + w0) <= LOOP_PART_GAP * plan.line_h):
            out[a] = out[a + 1] = True
    return out


def loop_of_stem(probs: np.ndarray, pieces: list[Piece], stem: int, loop: int) -> bool:
    """Is piece `loop` read as a 0 and much shorter than piece `stem` (LOOP_PART_H): the loop
    of a 6 or 9 come off its stem?"""
    return (int(probs[loop].argmax()) == 0
            and pieces[loop].box[3] <= LOOP_PART_H * pieces[stem].box[3])


# A unit read as no digit better than UNSURE_WHOLE is in doubt enough to be cut even when it
# is narrower than a pair (a thin 1 leaning on a 7 read "7" at 0.47), and a cut of it into
# pieces each read at SURE_CUT or better pays no fewer-digits price (the price keeps a sure
# digit whole; this one is not sure): synthetic tuning 80.8 -> 81.3 %, ORAND train CER 3.23 ->
# 3.20 % (UNSURE_WHOLE 0.5 or 0.75, SURE_CUT 0.7 or 0.97: 81.2-81.3 %; half the refund: 81.3 %,
# ORAND 3.23 %). Tried (2026-12-05) and not kept: the refund for the best cut made only of
# sure digits even where an unsure cut scores higher (a touching "346" read "36" as a "3" at
# 0.92 and a "6" at 0.51): synthetic tuning +1 page, but held out a sliver of a cursive zero
# read as a sure 5 won with it ("30000" read "30050") and synthetic CER 0.68 -> 0.70 %.
UNSURE_WHOLE = 0.6
SURE_CUT = 0.9


def unsure_full_height(plan: LinePlan, probs: np.ndarray, pieces: list[Piece],
                       min_width: float = 0.5, min_height: float = 0.7,
                       whole: tuple | None = None) -> np.ndarray:
    """Per unit: read as "not a digit", or as no digit better than UNSURE_WHOLE, though it is
    as tall as the line's digits and wider than half a digit height: two touching digits
    narrow enough to pass for one ("81", "14", "71"), worth cutting even below the usual
    split width."""
    out = np.zeros(len(plan.units), bool)
    units, singles, best, top = whole or whole_readings(plan, probs)
    unsure = (top < UNSURE_WHOLE).tolist()
    for a, p, b, low in zip(units, singles, best, unsure, strict=True):
        if b == NON_DIGIT or low:
            _, _, w, h = pieces[p].box
            out[a] = w > min_width * plan.line_h and h >= min_height * plan.line_h
    return out


def two_upright_strokes(mask: np.ndarray, cut: int) -> bool:
    """Is `mask` two upright strokes side by side, nearly apart at column `cut`? Both sides
    must span most of the middle rows with a similar share of ink, and the projection must
    almost vanish at the cut (a 1's flag or a 4's arms do not pass)."""
    h, w = mask.shape
    band = middle_rows(mask)
    proj = band.sum(0).astype(np.float64)
    if proj.max() <= 0 or not 0 < cut < w:
        return False
    valley = proj[max(0, cut - 1): cut + 2].min()
    return bool(valley <= 0.12 * proj.max() and strokes_either_side(band, cut))


def strokes_either_side(band: np.ndarray, cut: int) -> bool:
    """Do both sides of column `cut` of `band` (a mask's middle rows) span most of its rows,
    with a similar share of its ink?"""
    left, right = band[:, :cut], band[:, cut:]
    share = left.sum() / max(1, band.sum())
    return bool(0.3 <= share <= 0.7 and left.any(1).mean() >= 0.7 and right.any(1).mean() >= 0.7)


# Two 1s leaning together touch at the top ("11" written as a narrow caret): no valley in the
# projection, but apart from below the join down to both their feet. Many ORAND cheques write
# a single 1 that way too (a long lead-in stroke down to the foot: by shape alone 14 training
# cheques read "11"), all read as a 1 at 0.992 or more; so such a cut is tried only for a 1
# read under DOUBT_SURE (unsure_ones). Tuning (2026-12-05): synthetic 5000-5599 86.0 -> 86.2 %
# ("6111" read "611" fixed, none broken); ORAND training, 6000-6399 and 1000-1199 page for page
# the same. Under 0.99 instead of DOUBT_SURE fixed two more tuning pages (1s at 0.98 and 0.986),
# too close to the cheques' 0.992 to keep.
TOP_JOIN_APART = 0.35  # the cut column is empty over this share of the rows at the bottom ...
TOP_JOIN_FEET = 0.8    # ... where each side inks this share of the rows (both reach the foot)


def ones_joined_at_top(mask: np.ndarray, cut: int) -> bool:
    """Is `mask` two upright strokes joined only near the top, apart at column `cut` from
    there down to both their feet?"""
    h, w = mask.shape
    if not 0 < cut < w - 1:
        return False
    lower = mask[h - max(2, int(round(TOP_JOIN_APART * h))):]
    if lower[:, cut].any():
        return False
    return bool(strokes_either_side(middle_rows(mask), cut)
                and lower[:, :cut].any(1).mean() >= TOP_JOIN_FEET
                and lower[:, cut + 1:].any(1).mean() >= TOP_JOIN_FEET)


# Curved cuts: two touching digits often overlap (a 7's foot under a 6's loop), so a straight
# cut at the projection valley slices both; the cheapest path from top to bottom through the
# unit's box enters only the stroke where they touch. It is offered beside the straight cut.
SEAM_REACH = 0.2        # (x line height) how far a curved cut may stray from its column
SEAM_STROKE_COST = 4.0  # per stroke entered (between two touching digits: one)
SEAM_INK_COST = 0.5     # per ink pixel crossed
SEAM_STEP_COST = 0.2    # per sideways step: a cut bends only to save strokes or ink


def seam_costs(mask: np.ndarray) -> np.ndarray:
    """h x w: cost of the cheapest path from the top row down to each pixel (moving down, or
    down one column aside): strokes entered and ink pixels crossed (see the costs above)."""
    h, w = mask.shape
    ink = mask.astype(np.float32) * SEAM_INK_COST
    # entering a stroke from the pixel above, above-left and above-right (all rows at once)
    down = (mask[1:] & ~mask[:-1]).astype(np.float32) * SEAM_STROKE_COST + ink[1:]
    from_left = ((mask[1:, 1:] & ~mask[:-1, :-1]).astype(np.float32) * SEAM_STROKE_COST
                 + ink[1:, 1:] + SEAM_STEP_COST)
    from_right = ((mask[1:, :-1] & ~mask[:-1, 1:]).astype(np.float32) * SEAM_STROKE_COST
                  + ink[1:, :-1] + SEAM_STEP_COST)
    # Row by row, each pixel's cost is the least of its three predecessors' plus the step's.
    # Three numpy calls a row instead of five: the costs have a column of +inf each side (no
    # predecessor there), the three predecessors of a row are a strided (3, w) view of the row
    # above, and the step costs a (3, w) array per row (from the left, down, from the right);
    # each sum is the same float32 addition as before, and the least of three is exact.
    padded = np.full((h, w + 2), np.inf, np.float32)
    padded[0, 1:-1] = ink[0] + mask[0] * SEAM_STROKE_COST
    steps = np.zeros((max(h - 1, 0), 3, w), np.float32)
    steps[:, 0, 1:] = from_left
    steps[:, 1] = down
    steps[:, 2, :-1] = from_right
    item = padded.strides[1]
    above = np.lib.stride_tricks.as_strided(padded, (h, 3, w), (padded.strides[0], item, item),
                                            writeable=False)
    sums = np.empty((3, w), np.float32)
    left, straight, right = sums
    for row, before, step in zip(padded[1:, 1:-1], above[:-1], steps, strict=True):
        np.add(before, step, out=sums)
        np.minimum(left, straight, out=row)
        np.minimum(row, right, out=row)
    return np.ascontiguousarray(padded[:, 1:-1])


def path_cost(mask: np.ndarray, path) -> float:
    """seam_costs' cost of one path (a column per row)."""
    on = _ink_along(mask, path)
    steps = int(np.count_nonzero(np.diff(np.asarray(path))))
    return (_entered(on) * SEAM_STROKE_COST + int(on.sum()) * SEAM_INK_COST
            + steps * SEAM_STEP_COST)


def seam_cut(mask: np.ndarray, costs: np.ndarray, col: int, reach: int) -> tuple[int, ...] | None:
    """The cheapest path cut near column `col` (per row, the first column right of it), or
    None when it strays more than `reach` columns or costs no less than the straight cut."""
    h, w = mask.shape
    lo, hi = max(0, col - reach), min(w, col + reach + 1)
    x = lo + int(np.argmin(costs[-1, lo:hi]))
    path = [x]
    for r in range(h - 1, 0, -1):
        # the predecessor with the least cost so far (ties: straight down)
        options = [(costs[r - 1, x], 0)]
        if x > 0:
            options.append((costs[r - 1, x - 1] + SEAM_STEP_COST, -1))
        if x < w - 1:
            options.append((costs[r - 1, x + 1] + SEAM_STEP_COST, 1))
        x += min(options)[1]
        if abs(x - col) > reach:
            return None
        path.append(x)
    path.reverse()
    if strokes_entered(mask, path) > 1:
        return None  # through a loop, not between two digits
    if path_cost(mask, path) >= path_cost(mask, [col] * h) - SEAM_INK_COST:
        return None
    return tuple(path)


# Slanted cuts: cheque writing leans (a 1 or a chain of zeros ~0.5 columns per row), so a
# straight cut at a valley between two touching digits slices the top of the left digit's
# stroke into its right neighbour's piece, which reads as a sure 6 ("15100" read "15160":
# the top of the 1 became the stem of a 6) or 9, 8. Beside each straight cut that enters two
# strokes or more, a straight cut through the same column at the middle row but leaning is
# offered too: the cheapest of SLANTS, and the one along the unit's own writing slant
# (writing_slant), each only where it enters one stroke, costs less than the straight cut
# (strokes, ink) and stays CUT_MARGIN line heights inside the unit (the same margin as the
# valleys: a lean reaching the side cut a corner off an open zero, "30000" read "30002").
# Tuning (2026-12-05): ORAND training images 90.5 -> 91.3 %, CER 2.62 -> 2.41 % (8 fixed,
# 1 broken: an open last zero, "30000" read "30002"); synthetic 5000-5599 86.0 -> 86.2 % (1
# fixed, none broken); fresh pages 6000-6399 and 1000-1199 page for page the same. The
# cheapest of SLANTS alone fixed 6 of the 8 (and broke a page without the margin), the
# writing slant alone 3. About 1.4 more crops a page (1,550 -> 1,607 on the 40 speed pages),
# 2-3 % of the page time.
SLANTS = (0.25, 0.5, 0.75, -0.25)  # (columns per row, top to the right positive)
SLANT_STEPS = np.arange(-0.25, 0.76, 0.125)  # the writing slants told apart
# A piece with a leaning bound pays this much, less than one step of the classifier's int8
# output (log(255/256) ~ 0.004): where the int8 probabilities top out, an upright and a
# leaning cut can read exactly alike, and the upright cut then wins (fresh page 6039's "71"
# read "74" without it: the 7 less the foot of its stem still a sure 7, the foot and the 1 a
# sure 4). 0.005 lost 2 of the 8 ORAND images, 0.02 4 (near ties, not exact ones).
SLANT_CUT_COST = 0.001


def writing_slant(mask: np.ndarray) -> float:
    """The slant (columns per row, top to the right positive) at which the strokes of `mask`
    stand most upright: of SLANT_STEPS, the shear whose column projection is peakiest (its
    sum of squares); 0 when under MIN_CUT_SKEW."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return 0.0
    pad = int(np.ceil(np.abs(SLANT_STEPS).max() * h / 2)) + 1
    span = w + 2 * pad  # (each shear's columns in a band of their own, one bincount for all)
    cols = np.rint(xs[None, :] + SLANT_STEPS[:, None] * (ys - (h - 1) / 2)[None, :]).astype(np.int64)
    cols += pad + span * np.arange(SLANT_STEPS.size)[:, None]
    proj = np.bincount(cols.ravel(), minlength=span * SLANT_STEPS.size).reshape(SLANT_STEPS.size, span)
    proj = proj.astype(np.float64)
    best = float(SLANT_STEPS[int(np.argmax((proj * proj).sum(1)))])
    return best if abs(best) >= MIN_CUT_SKEW else 0.0


def slant_cuts(mask: np.ndarray, cols: list[int], writing: float,
               margin: int) -> list[list[tuple[int, ...]]]:
    """Per column of `cols`, the leaning cuts through it at the middle row (per row, the first
    column right of the cut): of SLANTS the cheapest (strokes entered and ink crossed, as
    path_cost, its steps free), and the one at the `writing` slant, each where it enters one
    stroke at most, stays `margin` columns inside `mask` and costs less than the upright cut."""
    h, w = mask.shape
    slants = np.array([*SLANTS, writing], np.float64)
    rows = np.arange(h)
    shift = slants[:, None] * (rows - (h - 1) / 2)[None, :]          # (slants, rows)
    at = np.asarray(cols, np.int64)
    paths = np.rint(at[:, None, None] - shift[None]).astype(np.int64)  # (cols, slants, rows)
    fits = (paths.min(2) >= margin) & (paths.max(2) < w - margin) & (slants != 0)[None]
    on = mask[rows, np.clip(paths, 0, w - 1)]
    entered = _entered_each(on)
    cost = entered * SEAM_STROKE_COST + np.count_nonzero(on, axis=-1) * SEAM_INK_COST
    upright = mask[:, at].T                                          # (cols, rows)
    upright_cost = (_entered_each(upright) * SEAM_STROKE_COST
                    + np.count_nonzero(upright, axis=-1) * SEAM_INK_COST)
    ok = fits & (entered <= 1) & (cost < (upright_cost - SEAM_INK_COST)[:, None])
    out = []
    for i in range(len(cols)):
        found = []
        fixed = np.nonzero(ok[i, :-1])[0]
        if fixed.size:
            found.append(tuple(paths[i, fixed[np.argmin(cost[i, fixed])]].tolist()))
        if ok[i, -1]:
            found.append(tuple(paths[i, -1].tolist()))
        out.append(found)
    return out


def strokes_entered(mask: np.ndarray, path) -> int:
    """How many strokes of `mask` a path (a column per row, top to bottom) runs into."""
    return _entered(_ink_along(mask, path))


def _ink_along(mask: np.ndarray, path) -> np.ndarray:
    return mask[np.arange(mask.shape[0]), list(path)]


def _entered(on: np.ndarray) -> int:
    return int(_entered_each(on))


def _entered_each(on: np.ndarray) -> np.ndarray:
    """Strokes entered along the last axis of `on` (ink along paths, a path per row of it)."""
    return on[..., 0] + np.count_nonzero(on[..., 1:] & ~on[..., :-1], axis=-1)


# A digit fallen apart at its foot (a 2 whose thin diagonal vanished: a short "7" and a dash
# under it) read "dash + 7": both parts sure, the merge a sure 2 that pays the price of one
# digit fewer and of being wide. Such a merge, when sure (SURE_CUT), pays no price for the
# digit fewer, as merges of marks do not. Tuning (2026-12-04): synthetic pages 5000-5599 84.5
# -> 84.7 % (2 such 2s fixed, none broken), fresh pages, ORAND training images and both
# held-out sets the same. Without FOOT_WIDE and the sure merge: synthetic one more fixed and
# one broken (a broken 3 read 9), ORAND one fixed and one broken (a speck under a 6's loop).
FOOT_BELOW = 0.75  # (x the digit's height) the mark's top is at least this far down the digit
FOOT_FLAT = 0.35   # (x line height) ... and it is at most this tall, and wider than tall,
FOOT_WIDE = 0.8    # ... and nearly as wide as the digit (x its width)


def foot_apart(left: np.ndarray, right: np.ndarray, line_h: float) -> bool:
    """Are two neighbouring boxes a digit and a flat mark lying under its foot, level with or
    below its lowest row and overlapping it across? (A 2 whose thin diagonal vanished falls
    apart into a short "7" and a dash; a full stop or a dash between digits is beside them.)"""
    return any(flat_mark_across(mark, digit, line_h)
               and float(mark[1]) >= float(digit[1]) + FOOT_BELOW * float(digit[3])
               for mark, digit in ((left, right), (right, left)))


# A 7 or 5 whose bar came off: the stem reads as a 1 and the bar, a flat mark over its top,
# was left out as a dash (synthetic page 5223: "67" read "6", the 6 merged with the 7's stem).
# Punctuation lies between digits, at mid-height or on the baseline, not over a digit's top:
# the sure merge of the two competes as a digit and a mark under its foot does (foot_apart).
# Tuning (2026-12-05): synthetic 5000-5599 86.2 -> 86.3 % (5223 fixed, none broken), ORAND
# training, 6000-6399 and 1000-1199 page for page the same.
# A bar drawn apart makes a merge less sure than a whole 5 or 7: merged with the body it read
# 5 at 0.72 and 0.83, while the body alone read a sure 6 and the bar a dash (synthetic 2457,
# 2737). So a merge with a mark over the top that reads a digit with a bar (CAP_DIGITS) needs
# only CAP_SURE. Only those digits: a 5 with a stub of a ruled line over it merged into a 3 at
# 0.74 (2647). Tuning (2026-12-07): synthetic 2000-2999 819 -> 822 pages (3 fixed, none broken;
# with any digit 821: 2647 broken); 3000-3999 the same, 4000-4999 803 -> 804, seeds 0-199 173 ->
# 174; ORAND held-out, forms and words page for page the same.
CAP_ABOVE = 0.25  # (x the digit's height) the mark's foot is at most this far down the digit
CAP_DIGITS = (5, 7)
CAP_SURE = 0.5


def cap_apart(left: np.ndarray, right: np.ndarray, line_h: float) -> bool:
    """Are two neighbouring boxes a digit and a flat mark lying over its top, level with or
    above its highest rows and overlapping it across?"""
    return any(flat_mark_across(mark, digit, line_h)
               and float(mark[1] + mark[3]) <= float(digit[1]) + CAP_ABOVE * float(digit[3])
               for mark, digit in ((left, right), (right, left)))


def flat_mark_across(mark: np.ndarray, digit: np.ndarray, line_h: float) -> bool:
    """Is box `mark` flat (at most FOOT_FLAT line heights tall, wider than tall, shorter than
    box `digit`), nearly as wide as `digit` (FOOT_WIDE) and overlapping it across?"""
    mx, _, mw, mh = (float(v) for v in mark)
    dx, _, dw, dh = (float(v) for v in digit)
    return (mh <= FOOT_FLAT * line_h and mw > mh and dh > mh and mw >= FOOT_WIDE * dw
            and mx < dx + dw and mx + mw > dx)


# A 1 written against the digit before it ("61", "41", "31": the 6's loop closes on the 1's
# stroke) leaves no projection valley where they part: the valleys lie inside the loop, and a
# slice cut there carries part of the loop and reads "not a digit". Where a unit (cut as in
# doubt) ends in a full-height upright stroke, columns each inked over at least SIDE_STROKE_ROWS
# of its rows and at most BESIDE_STROKE_W of its height wide in all, it is also cut at that
# stroke's inner edge. Tuning (2026-12-05): synthetic 5000-5599 86.3 -> 86.5 %, CER 0.75 ->
# 0.73 % (5094 "741" read "74" fixed; 5014's "8831" and 5584's "461", their 1 lost, read right,
# the pages wrong elsewhere; none broken); 0.8 and 0.95 read the same but for 5014's line at
# 0.8. ORAND training 90.6 % / 2.59 % and 6000-6399 82.2 % / 0.89 % page for page the same;
# 1000-1199 79.5 %, CER 1.06 -> 1.05 % (1018 one digit closer, 1030 one error for another).
SIDE_STROKE_ROWS = 0.9


def with_cuts_apart(cuts: list[int], more: list[int], near: int) -> list[int]:
    """`cuts` and those of `more` at least `near` columns from every one of them, sorted."""
    return sorted(cuts + [j for j in more if all(abs(j - c) >= near for c in cuts)])


def side_stroke_cuts(mask: np.ndarray) -> list[int]:
    """The inner edge of a full-height upright stroke at either side of `mask` (see
    SIDE_STROKE_ROWS): the first column left of a stroke at the right side, the first right
    of one at the left."""
    h, w = mask.shape
    cover = np.count_nonzero(mask, axis=0) / h
    widest = min(int(BESIDE_STROKE_W * h) + 1, w // 2)
    out = []
    for cols in (range(w), range(w - 1, -1, -1)):
        edge = stroke_edge(cover, cols, widest)
        if edge is not None:
            out.append(edge + 1 if cols.step < 0 else edge)
    return out


def stroke_edge(cover: np.ndarray, cols: range, widest: int) -> int | None:
    """Walking `cols` in from a side: the first column past a run of at most `widest` columns
    each inked over SIDE_STROKE_ROWS of the rows (the two outermost may be fainter: a stroke's
    soft edge); None where there is no such run."""
    run = 0
    for c in cols:
        if cover[c] >= SIDE_STROKE_ROWS:
            run += 1
        elif run:
            return c if run <= widest else None
        elif abs(c - cols.start) > 1:
            return None
    return None


def plan_alternatives(book: PieceBook, plan: LinePlan, doubtful: np.ndarray,
                      lefts: np.ndarray, rights: np.ndarray, split_ratio: float = 0.9,
                      max_merge: int = 4, max_cuts: int = 10, max_piece: float = 2.0,
                      min_piece: float = 0.2, side_piece: float | None = None,
                      narrow_split: np.ndarray | None = None,
                      unsure: np.ndarray | None = None,
                      beside: np.ndarray | None = None,
                      joined_ones: np.ndarray | None = None) -> None:
    """Add to `plan` the merges of neighbouring units (parts of a broken digit) and the cuts of
    wide units (touching digits) that involve a doubtful unit. Up to `max_merge` units make one
    digit (3 until 2026-12-04: with a broken digit's stacked parts kept on its line, a 6 in
    three strokes and a dot lost its loop; 4: ORAND training images one more right). A cut
    piece may be up to `max_piece` line heights wide (1.5 until 2026-12-02: a cheque's flat
    cursive zero is 1.8) and must be `min_piece` wide, or `side_piece` (None: SIDE_PIECE) at the
    unit's sides.
    Units marked in `narrow_split` (maybe_two_ones), `beside` (one_beside) or `unsure`
    (unsure_full_height) are cut even when narrower than `split_ratio` times their writing
    height; the first two only where the cut parts two upright strokes or a 1 from a digit
    (and the unit whole then pays the price of plan.apart). Units also marked in
    `joined_ones` (unsure_ones) may be two strokes joined at the top (ones_joined_at_top)."""
    side_piece = SIDE_PIECE if side_piece is None else side_piece
    comps = book.comps
    boxes = comps.boxes
    units, line_h = plan.units, plan.line_h
    # neighbours that may be parts of one digit: close together and together no wider than one
    # (in flat writing a digit is wider than tall: a cheque's broken zero 2.2 line heights;
    # a long-barred 7 overhanging its neighbour counts as 2 line heights wide, no more, and
    # one tall unit alone sets no usual width)
    tall = [i for i in units if boxes[i, 3] >= 0.8 * line_h]
    usual_w = (order_stats.median(np.minimum(rights[tall] - lefts[tall], 2 * line_h))
               if len(tall) >= 2 else 0.0)
    max_merge_w = max(MERGE_MAX_W * line_h, MERGE_MAX_W_TYPICAL * usual_w)
    doubtful_of = doubtful.tolist()  # (a list: numpy's slice and any() cost ~1.5 us a pair)
    for a in range(len(units)):
        for b in range(a + 2, min(len(units), a + max_merge) + 1):
            if not any(doubtful_of[a:b]):
                continue
            members = units[a:b]
            gaps = lefts[members[1:]] - rights[members[:-1]]
            width = rights[members].max() - lefts[members].min()
            # (1.25 line heights wide until 2026-12-02: a 5 whose bar came off and runs on
            # to the right, or a broken flat zero, is wider)
            if gaps.max() > 0.25 * line_h or width > max_merge_w:
                break
            box = union_box(boxes[members])
            if box[3] > 1.6 * line_h:
                break
            ids = tuple(int(comps.ids[i]) for i in members)
            piece = book.add(ids, box)
            if piece is not None:
                plan.merges[(a, b)] = piece
                if b == a + 2 and foot_apart(boxes[units[a]], boxes[units[a + 1]], line_h):
                    plan.feet.add((a, b))
                if b == a + 2 and cap_apart(boxes[units[a]], boxes[units[a + 1]], line_h):
                    plan.feet.add((a, b))
                    plan.caps.add((a, b))
    # wide units: touching digits, cut at projection valleys. Any run of neighbouring cuts may
    # be one digit, so a chain of touching zeros (a bank amount's "0000") can be cut into as
    # many digits as it holds; solve_line finds the best path through these pieces.
    for a, i in enumerate(units):
        with_one = beside is not None and bool(beside[a])  # (never a "1": not also narrow)
        if not (doubtful_of[a] or with_one):
            continue  # (most units: the tests below need not be made)
        x, y, w, h = map(int, boxes[i].tolist())
        narrow = narrow_split is not None and bool(narrow_split[a])
        in_doubt = unsure is not None and bool(unsure[a])
        own_h = writing_height(h, line_h)
        if line_h <= 0 or (
                w <= split_ratio * own_h and not (narrow or in_doubt or with_one)):
            continue
        ids = (int(comps.ids[i]),)
        # slanted writing touches along a slant: cut along it, in the frame where it is upright
        mask = comps.own_mask(i)
        skew = unit_skew(mask) if narrow else 0.0  # (wide blobs: their moments are not a slant)
        mask = shear_mask(mask, skew)
        inked = np.nonzero(mask.any(0))[0]
        if inked.size == 0:
            continue
        first = int(inked[0])  # the sheared frame has empty margins: cut within the ink
        mask = mask[:, first:int(inked[-1]) + 1]
        if narrow:
            cuts = cut_positions(mask, line_h, max_cuts=2, sides=False)
            top_joined = joined_ones is not None and bool(joined_ones[a])
            if not any(two_upright_strokes(mask, c)
                       or (top_joined and ones_joined_at_top(mask, c)) for c in cuts):
                continue
            plan.apart.add(a)
        elif with_one:
            plan.apart.add(a)
        if w <= split_ratio * own_h:  # (cut only as a pair of ones or in doubt: at most a pair)
            cuts = cut_positions(mask, line_h, max_cuts=NARROW_MAX_CUTS)
        else:
            n_fit = w / (0.6 * line_h)  # digits that fit at the narrowest usual digit width
            cuts = cut_positions(mask, line_h,
                                 max_cuts=min(max_cuts, max(MIN_CUTS, round(1.5 * n_fit))))
        near = max(2, int(0.1 * line_h))
        junctions = junction_positions(mask, own_h)
        cuts = with_cuts_apart(cuts, junctions, near)
        if not narrow:
            cuts = with_cuts_apart(cuts, side_stroke_cuts(mask), near)
        # (column, bound) of each cut position: a bound is a column, or one per row for a
        # curved cut, tried beside each straight cut that enters two strokes or more (one
        # stroke is the joint itself) where it costs less (see seam_cut)
        end = mask.shape[1]
        positions = [(0, first), *((c, first + c) for c in cuts), (end, first + end)]
        crossing = [c for c in cuts if strokes_entered(mask, [c] * mask.shape[0]) >= 2]
        leaning: set[tuple[int, ...]] = set()  # bounds of leaning cuts (see SLANTS)
        if not skew and crossing:
            costs = seam_costs(mask)
            reach = max(1, int(SEAM_REACH * line_h))
            leans = slant_cuts(mask, crossing, writing_slant(mask),
                               max(2, int(CUT_MARGIN * line_h)))
            for c, lean in zip(crossing, leans, strict=True):
                # (the seam, then leaning cuts, see SLANTS; each path once)
                seam = seam_cut(mask, costs, c, reach)
                paths = [seam, *lean]
                for path in dict.fromkeys(q for q in paths if q is not None):
                    positions.append((c, tuple(first + q for q in path)))
                    if path != seam:
                        leaning.add(positions[-1][1])
            positions.sort(key=lambda p: (p[0], isinstance(p[1], tuple)))
        edges_at = [p[0] for p in positions]
        bounds = [p[1] for p in positions]
        spans = []
        for k, m in itertools.combinations(range(len(edges_at)), 2):
            if (k, m) == (0, len(edges_at) - 1):
                continue  # the whole unit is plan.single
            width = edges_at[m] - edges_at[k]
            at_side = k == 0 or m == len(edges_at) - 1
            if width > max_piece * line_h or (
                    not narrow and width < (side_piece if at_side else min_piece) * line_h):
                continue  # (a sliver between two close cuts is no digit; in a "11" it may be)
            spans.append((k, m))
        single = plan.single[a]
        fit = (cut_piece_limit(book.pieces[single].box[2], own_h) if single is not None
               else 2)
        fit = max(fit, small_writing_fit(mask, edges_at, w, line_h))
        plan.cut_fit[a] = fit
        holes = hole_spans(mask, HOLE_MIN_W * own_h)
        in_loop = [any(x0 + HOLE_EDGE * (x1 - x0) < c < x1 - HOLE_EDGE * (x1 - x0)
                       for x0, x1 in holes) for c in edges_at]
        plan.cut_cols[a] = [x + b if isinstance(b, int) and not skew else None for b in bounds]
        edges = []
        for k, m in useful_spans(spans, len(edges_at) - 1, fit):
            piece = book.add(ids, (x, y, w, h), (bounds[k], bounds[m]), skew=skew)
            if piece is not None:
                edges.append((k, m, piece))
                if in_loop[k] or in_loop[m]:
                    plan.split_loops.add(piece)
                if bounds[k] in leaning or bounds[m] in leaning:
                    plan.leaning.add(piece)
        if not skew:
            edges += shared_side_edges(edges, edges_at, bounds, junctions, near, own_h, holes)
        if edges:
            plan.cuts[a] = edges


# Joined cursive zeros often share a side: the right side of one loop is the left side of the
# next, drawn once, and on a leaning hand that side runs between two junctions (the top outline
# dips at one, the bottom outline rises at the other). Every cut then gives the side to one
# zero only, and the other, open, reads as a 6 or not at all ("400000" read "400600": the first
# zero without it a "C" read 6). Where two junctions lie at most SHARED_SIDE_W writing heights
# apart, with a loop ending between them on the left and one starting between them on the
# right, a path reaching the right junction may go on with a slice from the left one: both
# zeros keep the side (no new crops, only edges). Tuning (2026-12-05): ORAND training images
# 91.3 -> 91.6 %, CER 2.41 -> 2.31 % (571, 586, 1002 fixed; 195 broken: its middle zero, read 0
# at 0.10, lost to an overlapping one at 0.46 and the last zero cut short, read 7); synthetic
# 5000-5599, 6000-6399 and 1000-1199 page for page the same; 0.35 and 0.7 read the same.
# Without the loops on both sides: 5 fixed, 2 broken, and 2 synthetic pages read a digit twice
# ("729" as "7229").
SHARED_SIDE_W = 0.5


def shared_side_edges(edges: list[tuple[int, int, int]], edges_at: list[int], bounds: list,
                      junctions: list[int], near: int, own_h: float,
                      loops: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Extra edges (k2, m, piece) of a cut unit's graph: for two neighbouring upright cut
    positions k1 < k2 at junctions (within `near` columns of one), a side shared by two loops
    (see SHARED_SIDE_W; `loops`: the unit's hole spans), each slice (k1, m) with m > k2 may
    also follow a path that reached k2."""
    nodes = set()
    for j in junctions:
        at = [n for n in range(1, len(edges_at) - 1)
              if isinstance(bounds[n], int) and abs(edges_at[n] - j) < near]
        if at:
            nodes.add(min(at, key=lambda n: abs(edges_at[n] - j)))
    nodes = sorted(nodes)
    out = []
    for k1, k2 in zip(nodes[:-1], nodes[1:], strict=True):
        c1, c2 = edges_at[k1], edges_at[k2]
        ends = range(c1 - near, c2 + near + 1)
        if (c2 - c1 <= SHARED_SIDE_W * own_h
                and any(x0 < c1 and x1 in ends for x0, x1 in loops)
                and any(x1 > c2 and x0 in ends for x0, x1 in loops)):
            out += [(k2, m, q) for k, m, q in edges if k == k1 and m > k2]
    return out


JOIN_MAX_GAP = 0.25  # (x line height) units this close may share a digit across a cut
JOIN_COST = 2.0      # log-score price of such a digit (tuning: 1.5-2 alike; 1 broke a page, 3 fixed one fewer)


def plan_joins(book: PieceBook, plan: LinePlan, lefts: np.ndarray, rights: np.ndarray) -> None:
    """Add to `plan` the pieces of a digit written across two neighbouring units, one of them
    cut (plan_alternatives): a 7 whose bar touches the 0 before it is the last slice of that
    unit with the 7's stem; a 6 whose stem stands apart and whose loop touches the next digit
    is the stem with the first slice of its neighbour. solve_line reads such a piece at a
    price (JOIN_COST), so that it replaces only parts that are unsure on their own. Straight
    cuts only; no wider than a merge may be (MERGE_MAX_W)."""
    comps, units, line_h = book.comps, plan.units, plan.line_h
    boxes = comps.boxes
    for a in range(len(units) - 1):
        i, j = units[a], units[a + 1]
        if lefts[j] - rights[i] > JOIN_MAX_GAP * line_h:
            continue
        ids = (int(comps.ids[i]), int(comps.ids[j]))
        bx, by, bw, bh = union_box(boxes[[i, j]])
        if bh > 1.6 * line_h:
            continue
        # (side 0: unit a whole and the first slice of a + 1; side 1: the last slice of a and
        # unit a + 1 whole)
        for side, cut_unit, whole in ((0, a + 1, a), (1, a, a + 1)):
            if cut_unit not in plan.cuts or plan.single[whole] is None or plan.small[whole]:
                continue
            last = max(m for _, m, _ in plan.cuts[cut_unit])
            ends = sorted({m for k, m, _ in plan.cuts[cut_unit] if k == 0 and m < last} if side == 0
                          else {k for k, m, _ in plan.cuts[cut_unit] if m == last and k > 0})
            for node in ends:
                col = plan.cut_cols[cut_unit][node]
                if col is None:
                    continue
                # (the whole unit must lie on its side of the cut: overlapping units would
                # lose a part of it)
                if (boxes[i, 0] + boxes[i, 2] > col + 1 if side == 0 else boxes[j, 0] < col - 1):
                    continue
                cols = (0, col - bx) if side == 0 else (col - bx, bw)
                if not 0 < cols[1] - cols[0] <= MERGE_MAX_W * line_h:
                    continue
                piece = book.add(ids, (bx, by, bw, bh), cols)
                if piece is not None:
                    plan.joins.setdefault((a, side), []).append((node, piece))


def small_writing_fit(mask: np.ndarray, edges_at: list[int], width: float, line_h: float) -> int:
    """Most digits a wide unit may be cut into, judged by the writing height of its slices
    between neighbouring cut positions (their median, over those at least SMALL_DIGIT line
    heights tall): a tall figure joined to a run of small zeros ("145000") holds more digits
    than its width in line heights says. 0 when no slice is that tall."""
    rows = np.arange(mask.shape[0])
    heights = []
    for c0, c1 in zip(edges_at[:-1], edges_at[1:], strict=True):
        inked = mask[:, c0:c1].any(1)
        if inked.any():
            ys = rows[inked]
            heights.append(float(ys[-1] - ys[0] + 1))
    heights = [v for v in heights if v >= SMALL_DIGIT * line_h]
    return cut_piece_limit(width, median_of(heights)) if heights else 0


def writing_height(unit_h: float, line_h: float) -> float:
    """The digit height a unit is written at: its own height for a unit of smaller writing
    than the line's (a cheque's small "000" after a tall figure, at least SMALL_WRITING line
    heights), else the line's. How wide a unit is, and how many digits it may hold, is
    judged by this."""
    return float(unit_h) if SMALL_WRITING * line_h <= unit_h < line_h else float(line_h)


# The narrowest usual digit (x line height) when counting how many digits a wide unit may hold
# (0.6 until 2026-12-02 allowed two in a narrowly written "603" 1.27 line heights wide)
CUT_DIGIT_WIDTH = 0.5

# Cut positions tried in a wide unit: at least this many, more where it is wide enough for
# more digits (4 until 2026-12-03: a cheque's "145000" whose small joined zeros ran on from
# a tall figure found no cut between them; 6: ORAND training images CER 3.63 -> 3.58 %,
# synthetic pages the same)
MIN_CUTS = 6
# A unit narrower than the split width is cut only as an unsure or refused reading (two
# touching digits passing for one): a pair needs few cut positions. 3 or 2 read the same as
# MIN_CUTS on the tuning sets, and save ~1 ms on pages of 25-40 digits.
NARROW_MAX_CUTS = 3


def cut_piece_limit(width: float, line_h: float) -> int:
    """Most digits a unit `width` wide may be cut into: as many as fit at CUT_DIGIT_WIDTH
    digit heights each (thin slices are not all 1s), at least 2."""
    return max(2, round(width / (CUT_DIGIT_WIDTH * max(line_h, 1.0))))


def useful_spans(spans: list[tuple[int, int]], end: int, max_pieces: int) -> list[tuple[int, int]]:
    """The spans (k, m) between cut positions that lie on some path of at most `max_pieces`
    spans from position 0 to `end`, in their order. The others can never be part of what
    best_cut_path picks, so their crops need not be made nor read (a quarter of the cut
    pieces on a busy page). All of them when no span reaches `end`, as best_cut_path then
    aims at the furthest position reached instead."""
    if not any(m == end for _, m in spans):
        return list(spans)
    far = max_pieces + 1  # unreachable: more pieces than allowed
    from_start = [0] + [far] * end   # fewest spans from 0 to each position
    for k, m in sorted(spans):
        from_start[m] = min(from_start[m], from_start[k] + 1)
    to_end = [far] * end + [0]       # fewest spans from each position to `end`
    for k, m in sorted(spans, key=lambda s: -s[1]):
        to_end[k] = min(to_end[k], to_end[m] + 1)
    return [(k, m) for k, m in spans if from_start[k] + 1 + to_end[m] <= max_pieces]


def best_cut_path(edges: list[tuple[int, int, int]], score,
                  max_pieces: int = 99) -> tuple[float, list[int]]:
    """Best path of at most `max_pieces` pieces from cut position 0 to the last one through
    `edges` (k, m, piece), scoring each piece with `score(piece)` -> (total, pieces left to
    right); (-inf, []) if there is none."""
    last = max(m for _, m, _ in edges)
    best = np.full((last + 1, max_pieces + 1), -np.inf)  # [position, pieces used]
    best[0, 0] = 0.0
    back: dict[tuple[int, int], tuple[int, int]] = {}
    scores = {piece: score(piece) for _, _, piece in edges}
    for k, m, piece in sorted(edges, key=lambda e: e[0]):
        total = best[k, :-1] + scores[piece]
        better = total > best[m, 1:]
        for c in np.nonzero(better)[0]:
            best[m, c + 1] = total[c]
            back[(m, c + 1)] = (k, piece)
    c = int(np.argmax(best[last]))
    if not np.isfinite(best[last, c]):
        return -np.inf, []
    total, out, m = float(best[last, c]), [], last
    while m > 0:
        k, piece = back[(m, c)]
        out.append(piece)
        m, c = k, c - 1
    return total, out[::-1]


LOOP_MIN_PX = 6   # paper pixels (of a 28 x 28 crop) a hole needs to count as a loop
LOOP_PAPER = 100  # crop pixels under this are paper


def enclosed_loops(crop: np.ndarray | None) -> int:
    """Loops in a normalized crop: its holes of at least LOOP_MIN_PX pixels (a 0 has one,
    an 8 two, a dash none)."""
    if crop is None:
        return 0
    return int((holes(crop >= LOOP_PAPER)[:, cv2.CC_STAT_AREA] >= LOOP_MIN_PX).sum())


def digit_scores(probs: np.ndarray) -> np.ndarray:
    """log P(piece is some digit) per piece (max over the ten digit classes)."""
    if probs.shape[0] == 0:
        return np.zeros(0)
    return np.log(np.clip(probs[:, :10].max(axis=1), 1e-6, 1.0))


# A unit at least SMALL_WRITING line heights tall (and shorter than the line) is judged as
# writing of its own height (see writing_height): cheques often carry a tall figure and then
# "000" written at under half its height, whose pairs of touching zeros are then narrower than
# one digit of the line and were never cut
SMALL_WRITING = 0.35
CUT_DIGIT_TALL = 0.4      # (x line height) a slice of a wide unit shorter than this is no digit,
CUT_DIGIT_TALL_OWN = 0.6  # ... unless it is this share of its unit's writing height,
# or it is at least SMALL_DIGIT line heights tall and read as a digit at SMALL_DIGIT_SURE or
# better: a cheque's small "000" joined to a tall "145" (the zeros 0.27 line heights tall) was
# left out as one flat slice. With the loop price on left-out slices (FRAGMENT_COST), ORAND
# training images 89.0 -> 89.1 %, CER 3.20 -> 3.12 % (1 fixed, none broken), synthetic tuning
# pages the same; each of the three alone changed nothing or read worse.
SMALL_DIGIT = 0.2
SMALL_DIGIT_SURE = 0.9
MERGE_TALL = 0.6  # a merged part at least this tall (x line height) is a whole stroke
# A "1" is a full-height stroke: one under this many line heights is a comma, the stub of a
# slash, or the stem of a small 6 whose loop came off (on ORAND 3 of 686 true 1s are shorter).
SHORT_ONE = 0.55
# Leaving a unit out as punctuation costs this much (log-probability): int8 probabilities top
# out, so "a certain mark beside a sure digit" and "the sure digit the two make together" can
# tie exactly, and then the reading that explains more of the ink should win. ORAND training
# images 122 -> 120 edits ("5680" had read "5600", "6416" "0416"), synthetic tuning 82.8 ->
# 83.0 %, fresh pages the same; 0.005 and 0.05 read the same, 0.15 swaps one ORAND error.
PUNCT_COST = 0.02
# A cheque amount's last zero often runs on into a closing tail (an exit stroke rising to the
# right), which the classifier reads with the zero as an 8 or 9. The last slice of a line's
# last unit, right after a slice read as a sure zero (SURE_CUT), may be left out as that tail
# at this price, whatever its height (a digit-tall slice is otherwise read as a digit). ORAND
# training images 90.3 -> 90.4 %, CER 2.67 -> 2.64 % ("90000" read "90008" fixed, none
# broken), synthetic 5000-5599, 6000-6399 and 1000-1199 page for page the same; 0.3 reads
# the same, 1.0 the same but for one edit. Without the sure zero before it, a tail taken
# anywhere cost synthetic pages a last small 7 ("67" read "6") and ORAND a 5 cut off a 9;
# without `leans`, a 1 touching the zero before it ("01") would be left out.
TAIL_COST = 0.5
TAIL_MAX_W = 0.75  # (x line height) ... it is no wider (wider: it may hold digits; ORAND
# training lost some 30 last digits, "145000" read "14", with no limit and none of the tests
# below)
TAIL_SURE = 0.8    # ... read as "not a digit" with at least this probability,
TAIL_TWICE = 0.2   # ... and one open stroke: at most this share of its inked columns crossed
# twice or more (an open small zero's or a 5's cut-off bowl are crossed top and bottom);
# (TAIL_SURE 0.5, TAIL_MAX_W 1.0, TAIL_TWICE 0.35 read the ORAND training images the same:
# the sure zero before it decides)
TAIL_UNIT_H = 0.6  # (x line height) the unit is this tall: a digit's, not a dot run into a
# "=" (ORAND "15506." then read "155062")


def ones_side_by_side(plan: LinePlan, a: int, b: int, merged: int, probs: np.ndarray,
                      pieces: list[Piece]) -> bool:
    """Is the merge of units a..b-1 read as a "1" though two of them are full-height strokes?
    A 1 is one stroke: two tall parts side by side are two digits ("11" squeezed into one
    crop reads as one thick 1, with the negative digit bonus preferring it), while a 1 broken
    by a gap or a ruled line comes apart into a top and a bottom part."""
    if int(probs[merged].argmax()) != 1:
        return False
    tall = [plan.single[k] is not None
            and pieces[plan.single[k]].box[3] >= MERGE_TALL * plan.line_h
            and int(probs[plan.single[k]].argmax()) != NON_DIGIT for k in range(a, b)]
    return sum(tall) >= 2


# A merge read as "not a digit" is dropped from the reading, and with it every unit it holds:
# where one of them reads alone as a sure digit (SURE_CUT) at least SHORT_ONE line heights
# tall, the merge is no option. A thin number sign before a number, read as not a digit, was
# merged with the number's first digit at one digit's price less than the two apart, and both
# were dropped ("#905" read "05"). Tuning (2026-12-07): 18 pages of the standing sets and probes
# right that were wrong (7 `--sign #`, 10 times probes, synthetic 5120), none the other way;
# ORAND the same.


def erases_a_digit(plan: LinePlan, a: int, b: int, merged: int, probs: np.ndarray,
                   pieces: list[Piece]) -> bool:
    """Is the merge of units a..b-1 read as not a digit though one of them alone reads as a
    sure digit (see above)?"""
    if int(probs[merged].argmax()) != NON_DIGIT:
        return False
    return any(sure_tall_digit(plan, p, probs, pieces) for p in plan.single[a:b] if p is not None)


def sure_tall_digit(plan: LinePlan, p: int, probs: np.ndarray, pieces: list[Piece]) -> bool:
    """Does piece p read alone as a digit, at SURE_CUT or better, and stand at least SHORT_ONE
    line heights tall (a digit a merge must not erase or swallow)?"""
    return (int(probs[p].argmax()) != NON_DIGIT and probs[p].max() >= SURE_CUT
            and pieces[p].box[3] >= SHORT_ONE * plan.line_h)


# A merge that reads as one of its parts alone reads surely (SURE_CUT), and less surely than
# that part, where every other part of it reads as a digit of its own standing beside that
# part (not over or under it), took in a neighbour: the merge is no option. A small x written
# onto the 2 of "5x2920" read as one 2 with it, and the times sign was gone ("52920"). Tuning
# (2026-12-07): 7 pages right that were wrong (6 times probes, synthetic 1051), none the other
# way; ORAND the same. Without "beside" and "a digit of its own" 6 were right and 3 wrong (a
# 6's own stroke, a piece under a 1, ORAND "14000" read "146000"). False: not looked for.
MERGE_NEIGHBOURS = True


def takes_in_a_neighbour(plan: LinePlan, a: int, b: int, merged: int, probs: np.ndarray,
                         pieces: list[Piece]) -> bool:
    """Does the merge of units a..b-1 read as one of them alone does, only less surely, with
    its other units digits beside that one (see above)?"""
    label = int(probs[merged].argmax())
    if not MERGE_NEIGHBOURS or label == NON_DIGIT:
        return False
    parts = [p for p in plan.single[a:b] if p is not None]
    for p in parts:
        if (int(probs[p].argmax()) != label or probs[p].max() < SURE_CUT
                or probs[p].max() <= probs[merged].max()):
            continue
        x, _, w, _ = pieces[p].box
        others = [o for o in parts if o != p]
        if others and all(int(probs[o].argmax()) != NON_DIGIT
                          and not columns_meet(x, w, *pieces[o].box[::2])
                          for o in others):
            return True
    return False


# A merge that reads as one of its parts alone does (the same digit) gains nothing from its
# other parts; where one of those reads alone as a sure digit (SURE_CUT) at least SHORT_ONE
# line heights tall, the merge swallows a digit, and pays the digit price for it (ORAND
# "22142" read "92142", a 2 merged with the 1 before it). The stem and loop of a broken 6 or
# 9 read as another digit merged than either does alone, and a zero's closing tail is under
# SHORT_ONE (ORAND "230": the tail read 1 at 0.99, 0.53 line heights tall).


def swallowed_digits(plan: LinePlan, i: int, j: int, merged: int, probs: np.ndarray,
                     pieces: list[Piece]) -> int:
    """How many sure digits the merge of units i..j-1 swallows (see above)."""
    label = int(probs[merged, :10].argmax())
    parts = [p for p in plan.single[i:j] if p is not None]
    if not any(int(probs[p].argmax()) == label for p in parts):
        return 0
    return sum(1 for p in parts
               if int(probs[p].argmax()) != label and sure_tall_digit(plan, p, probs, pieces))


# A thin 1 cut off the digit it touches ("16", "31") often reads "not a digit", 1 second:
# its slice carries a sliver of the neighbour, and a small blurred 1 looks like a dash. Such a
# slice, a 1 by its shape (upright_one), is scored as a 1 this sure when solving the line (its
# reported confidence stays the classifier's). Tuning (2026-12-04): synthetic pages 5000-5599
# 84.3 -> 84.5 % (1 fixed, none broken), fresh pages and ORAND training images the same; 0.99
# the same; also for whole units: one page fixed, one broken. Every cut slice whose likeliest
# digit is 1, as first tried, read the tuning sets alike but an ORAND held-out cheque worse
# (the stem of a 4 joined to a 0, already read 1 at 0.71: "40000" -> "410000"); only slices
# read "not a digit" then, and of those only ones with a 1 in them (a fresh page's "3" lost
# its lead-in stroke to a "1" the classifier gave 0.02).
ONE_SHAPE_SCORE = 0.9
ONE_SHAPE_MIN = 0.1


def shaped_ones(plan: LinePlan, probs: np.ndarray, pieces: list[Piece]) -> list[int]:
    """Cut slices read as "not a digit", with a 1 (at ONE_SHAPE_MIN or more) as their likeliest
    digit, that are 1s by their shape."""
    slices = {q for edges in plan.cuts.values() for _, _, q in edges}
    return [q for q in sorted(slices)
            if int(probs[q].argmax()) == NON_DIGIT and int(probs[q, :10].argmax()) == 1
            and probs[q, 1] >= ONE_SHAPE_MIN
            and upright_one(pieces[q], plan.line_h)]


# A thin 1 written with a faint or fine pen comes apart into a column of dots and dashes, each
# a mark that may only be punctuation; merged they make a tall, straight, upright stroke that
# the classifier, never shown such a broken stroke, reads as "not a digit" (a synthetic page's
# "721" read "72", its 1 three dots at 0.92 "not a digit"). Such a merge, a 1 by its shape
# (upright_one), is scored as a 1 this sure when solving the line: each mark left out costs
# only PUNCT_COST, so anything less loses to three marks.
DOTTED_ONE_SCORE = 0.99
DOT_MAX_W = 0.3      # (x line height) each part is a dot or a short dash this narrow at most ...
DOTS_COVER = 0.5     # ... and together they ink this share of the merge's rows: a flat stub
# over a full stop (an ORAND cheque's "396.-": "3961") is no stroke, only two marks in a line
DOTS_MIN_H = 0.95    # (x line height) ... and span the line's full digit height: a digit's
# stray parts beside it (a 4's broken stem, two dots like a colon: fresh pages "4029" read
# "11029", "102" "1102" at ONE_MIN_H's 0.8) are shorter than the digit they came off


def dotted_ones(plan: LinePlan, pieces: list[Piece]) -> list[int]:
    """Merges of two or more units that may each only be punctuation (plan.punct_ok), each
    narrow, that span the line's height, ink most of the rows they span together and are a 1
    by their shape (upright_one): a 1 broken into dots."""
    out = []
    for (a, b), q in sorted(plan.merges.items()):
        if (b - a < 2 or not all(plan.punct_ok[a:b])
                or any(p is None for p in plan.single[a:b])):
            continue
        parts = np.array([pieces[p].box for p in plan.single[a:b]])
        if (parts[:, 2].max() > DOT_MAX_W * plan.line_h
                or pieces[q].box[3] < DOTS_MIN_H * plan.line_h):
            continue
        top = int(parts[:, 1].min())
        rows = np.zeros(int((parts[:, 1] + parts[:, 3]).max()) - top, bool)
        for _, y, _, h in parts:
            rows[int(y) - top:int(y + h) - top] = True
        if rows.mean() >= DOTS_COVER and upright_one(pieces[q], plan.line_h):
            out.append(q)
    return out


# A "1" short of the line standing on a flat mark under its foot (foot_apart), the two together
# about as tall as the line, is the stem of a 6 whose loop came off under it (a synthetic
# page's "76695" read "71695": the stem, 0.7 line heights tall, a 1 at 0.996, the loop a mark;
# stem and loop merged a 6 at 0.9). Read alone as a 1 it pays STEM_ON_MARK_COST. Tuning
# (2026-12-05): synthetic 5000-5599 85.5 -> 85.7 % (that page fixed, none broken), ORAND
# training images, fresh pages 6000-6399 and pages 1000-1199 the same. It fires on 4 lines of
# those 2064 images (one an ORAND 1 with a lead-in stroke, still read right); any cost from
# 0.1 to 20 reads them alike.
STEM_MAX_H = 0.8    # (x line height) a 1 shorter than this ...
STEM_SPAN_H = 0.9   # ... with the mark under it spanning this much of the line height
STEM_ON_MARK_COST = 1.0


def stems_on_marks(plan: LinePlan, probs: np.ndarray, pieces: list[Piece]) -> set[int]:
    """Units read as a 1, short of the line, that stand on a mark (a unit that may only be
    punctuation) lying under their foot: the stem of a 6 and its loop, come apart."""
    out = set()
    h = plan.line_h
    for a, p in enumerate(plan.single):
        if (p is None or int(probs[p, :10].argmax()) != 1
                or pieces[p].box[3] >= STEM_MAX_H * h):
            continue
        stem = np.array(pieces[p].box)
        for b in (a - 1, a + 1):
            if not 0 <= b < len(plan.units) or not plan.punct_ok[b] or plan.single[b] is None:
                continue
            mark = np.array(pieces[plan.single[b]].box)
            span = (max(stem[1] + stem[3], mark[1] + mark[3]) - min(stem[1], mark[1]))
            if span >= STEM_SPAN_H * h and foot_apart(mark, stem, h):
                out.add(a)
    return out


def closing_tails(plan: LinePlan, probs: np.ndarray, pieces: list[Piece]) -> set[int]:
    """The pieces that may be a closing tail (see TAIL_COST): slices of the line's last unit
    that end where it ends, right after a slice read as a sure zero, hold no loop, are one
    open stroke leaning more than a 1 and read as no digit."""
    a = len(plan.units) - 1
    whole = plan.single[a]
    if a not in plan.cuts or whole is None or pieces[whole].box[3] < TAIL_UNIT_H * plan.line_h:
        return set()
    edges = plan.cuts[a]
    last = max(m for _, m, _ in edges)
    after_zero = {m for _, m, q in edges
                  if probs[q, :10].argmax() == 0 and probs[q, 0] >= SURE_CUT}
    return {q for k, m, q in edges
            if m == last and k in after_zero and probs[q, NON_DIGIT] >= TAIL_SURE
            and pieces[q].box[2] <= TAIL_MAX_W * plan.line_h
            and not enclosed_loops(pieces[q].crop) and one_stroke(pieces[q].crop)
            and leans(pieces[q].crop)}


def leans(crop: np.ndarray | None) -> bool:
    """Does the crop's ink lean more than a 1 may (ONE_MAX_SLANT)? A 1 touching the zero
    before it is one open stroke too, but upright."""
    if crop is None:
        return False
    line = stroke_line(crop >= LOOP_PAPER)
    return line is not None and abs(line[0]) > ONE_MAX_SLANT


def one_stroke(crop: np.ndarray | None) -> bool:
    """Is the crop's ink one open stroke: few inked columns crossed more than once?"""
    if crop is None:
        return False
    ink = crop >= LOOP_PAPER
    runs = (ink[1:] & ~ink[:-1]).sum(axis=0) + ink[0]
    inked = runs > 0
    return bool(inked.any()) and float((runs[inked] > 1).mean()) <= TAIL_TWICE


@dataclass
class PieceScores:
    """What solve_line reads off every piece's probabilities, as plain floats and flags: a
    page's lines share one table, so it is worked out once a page rather than once a line."""

    lp_digit: list[float]      # log P(some digit)
    lp_other: list[float]      # log P(not a digit)
    one: list[bool]            # its likeliest digit is a 1
    stroke_like: list[bool]    # ... a 1 or a 7


def piece_scores(probs: np.ndarray) -> PieceScores:
    """The PieceScores of a probability table (pieces x 11)."""
    if not len(probs):
        return PieceScores([], [], [], [])
    best_digit = np.argmax(probs[:, :10], axis=1)
    return PieceScores(digit_scores(probs).tolist(),
                       np.log(np.clip(probs[:, NON_DIGIT], 1e-6, 1.0)).tolist(),
                       (best_digit == 1).tolist(),
                       ((best_digit == 1) | (best_digit == 7)).tolist())


# Two stacked halves (see stacked_pairs) that a merge reads as one sure digit (SURE_CUT) are
# that digit, not two digits one above the other: two sure zeros outscored the 8 they were
# (ORAND "5468" read "54600", the 8's loops apart, its lower loop two marks merged at no price).
# Tuning (2026-12-07): that ORAND training cheque and times probe 166 ("32x712" read "3218712")
# right; 7,180 pages (the standing sets, the sign probes, synthetic 7000-7399) otherwise read
# right or wrong as before.
STACKED_SPLIT_COST = 3.0


def stacked_split_price(plan: LinePlan, lp_digit: list[float], pieces: list[Piece]) -> dict[int, float]:
    """{boundary: price} for reading a line apart between two stacked halves that a merge
    reads as one sure digit (boundary a+1 lies between units a and a+1)."""
    if not STACKED_SPLIT_COST or not plan.merges:
        return {}
    sure = math.log(SURE_CUT)
    out = {}
    for a in stacked_pairs(plan, pieces):
        if any(i <= a and jj >= a + 2 and lp_digit[q] >= sure for (i, jj), q in plan.merges.items()):
            out[a + 1] = STACKED_SPLIT_COST
    return out


def solve_line(plan: LinePlan, probs: np.ndarray, pieces: list[Piece],
               digit_bonus: float = 0.3, scores: PieceScores | None = None) -> list[int]:
    """Best segmentation of the line -> the pieces read as digits, left to right.

    Score = sum over digits of (log P(digit) + bonus - a penalty for being wider than a digit)
    plus, for units read as punctuation, log P(not a digit) - PUNCT_COST. Only units shorter than the line's
    digits may be punctuation: a full-height blob must be read as one or more digits (a
    touching pair is then split rather than thrown away), and stays out of the result only when
    no reading of it is confident. A "1" shorter than SHORT_ONE line heights is no digit.
    `scores`: piece_scores(probs), when the caller has it (a page's lines share it).
    """
    n = len(plan.units)
    if n == 0:
        return []
    # plain floats: the search below does a few scalar operations per piece, where numpy
    # scalars cost several times more (same IEEE arithmetic, same results)
    if scores is None:
        scores = piece_scores(probs)
    lp_digit = list(scores.lp_digit)  # (a copy: this line's 1s by shape are raised in it)
    for q in shaped_ones(plan, probs, pieces):
        lp_digit[q] = max(lp_digit[q], math.log(ONE_SHAPE_SCORE))
    for q in dotted_ones(plan, pieces):
        lp_digit[q] = max(lp_digit[q], math.log(DOTTED_ONE_SCORE))
    lp_other = scores.lp_other
    one = scores.one
    # a dash or flourish closing a line reads, if as a digit at all, as a 1 or a 7
    stroke_like = scores.stroke_like
    h = max(plan.line_h, 1.0)
    # (a refund only where there is a price: with a positive bonus more digits gain anyway)
    refund_unsure = digit_bonus < 0
    unsure_lp, sure_cut_lp = math.log(UNSURE_WHOLE), math.log(SURE_CUT)
    cap_sure_lp = math.log(CAP_SURE)
    stems = stems_on_marks(plan, probs, pieces)

    def no_one(p: int) -> bool:
        # a comma, a slash's stub or a 6's stem without its loop (kept out of the result:
        # scored as a digit, it was still taken when nothing else was on offer for its unit)
        return one[p] and pieces[p].box[3] < SHORT_ONE * h

    def as_digit(p: int) -> float:
        _, _, w, ph = pieces[p].box
        if no_one(p):
            return -20.0
        return lp_digit[p] + digit_bonus - WIDE_PENALTY * max(0.0, w / h - WIDE_FREE)

    small_digit_h, small_sure_lp = SMALL_DIGIT * h, math.log(SMALL_DIGIT_SURE)
    tails = closing_tails(plan, probs, pieces)

    def digit_slice(p: int, tall: float) -> bool:
        if p in tails:
            return False
        ph = pieces[p].box[3]
        return ph >= tall or (ph >= small_digit_h and lp_digit[p] >= small_sure_lp)

    def cut_scorer(tall: float):
        # a flat slice (a ligature's tail, a dash, an underline stub joined to the digits)
        # is left out, at a price, and more for each loop it holds
        return lambda p: ((as_digit(p) if digit_slice(p, tall)
                           else lp_other[p] - TAIL_COST if p in tails
                           else lp_other[p] - FRAGMENT_COST * (1 + enclosed_loops(pieces[p].crop)))
                          - HOLE_CUT_COST * (p in plan.split_loops)
                          - SLANT_CUT_COST * (p in plan.leaning))

    def cut_context(a: int) -> tuple[float, int]:
        # a slice of a wide unit must be digit-tall to be a digit: CUT_DIGIT_TALL line
        # heights, or in a unit of smaller writing (not flat), CUT_DIGIT_TALL_OWN of its own;
        # and the unit holds at most plan.cut_fit digits (set with the cuts)
        p = plan.single[a]
        own_h = writing_height(pieces[p].box[3], h) if p is not None else h
        return min(CUT_DIGIT_TALL * h, CUT_DIGIT_TALL_OWN * own_h), plan.cut_fit[a]

    def part_path(a: int, start: int, stop: int | None) -> tuple[float, list[int]]:
        # best path through unit a's cuts from cut position `start` to `stop` (None: its end)
        tall, fit = cut_context(a)
        edges = [(k - start, m - start, q) for k, m, q in plan.cuts[a]
                 if k >= start and (stop is None or m <= stop)]
        if not edges or (stop is not None and max(m for _, m, _ in edges) != stop - start):
            return -math.inf, []
        total, seg = best_cut_path(edges, cut_scorer(tall), fit - 1)
        return total, [q for q in seg if digit_slice(q, tall)]

    def join_options(j: int) -> list[tuple[float, int, list[int]]]:
        # a digit across units j-2 and j-1 (see plan_joins), with the rest of the cut unit
        a = j - 2
        out = []
        for node, q in plan.joins.get((a, 0), []):
            rest, digits = part_path(a + 1, node, None)
            price = join_price(plan.single[a], cut_slice(a + 1, 0, node))
            out.append((as_digit(q) + rest - price, a, [q] + digits))
        for node, q in plan.joins.get((a, 1), []):
            first, digits = part_path(a, 0, node)
            last = max(m for _, m, _ in plan.cuts[a])
            price = join_price(plan.single[a + 1], cut_slice(a, node, last))
            out.append((first + as_digit(q) - price, a, digits + [q]))
        return out

    def cut_slice(a: int, k: int, m: int) -> int | None:
        return next((q for kk, mm, q in plan.cuts[a] if kk == k and mm == m), None)

    def join_price(whole: int | None, part: int | None) -> float:
        # none for a "1" with a "0" slice much shorter than it: a 6 or 9 whose loop came off
        # its stem and touches the next digit (see stem_and_loop). Tuning (2026-12-05):
        # synthetic 5000-5599 85.2 -> 85.3 % (a "6" read "10" fixed, none broken), fresh pages,
        # pages 1000-1199, ORAND training images and the held-out sets the same
        loop_off_its_stem = (whole is not None and part is not None and one[whole]
                             and loop_of_stem(probs, pieces, whole, part))
        return 0.0 if loop_off_its_stem else JOIN_COST

    split_price = stacked_split_price(plan, lp_digit, pieces)
    best = [-math.inf] * (n + 1)
    best[0] = 0.0
    back: list[tuple[int, list[int]]] = [(0, [])] * (n + 1)
    for j in range(1, n + 1):
        a = j - 1
        options: list[tuple[float, int, list[int]]] = join_options(j) if j >= 2 else []
        p = plan.single[a]
        if p is not None:
            if plan.punct_ok[a] or (a in plan.end_marks and stroke_like[p]):
                options.append((lp_other[p] - PUNCT_COST, a, []))  # punctuation / noise
            # (a long comma reads as a sure 1: hanging below its neighbours it is none)
            if not plan.small[a] and not no_one(p) and not (a in plan.hanging and one[p]):
                # two clearly separate strokes are not one digit
                options.append((as_digit(p) - 3.0 * (a in plan.apart)
                                - STEM_ON_MARK_COST * (a in stems), a, [p]))
        if p is None or not options:
            options.append((-20.0, a, []))  # nothing readable: skip it, at a price
        if a in plan.cuts:
            tall, fit = cut_context(a)
            total, seg = best_cut_path(plan.cuts[a], cut_scorer(tall), fit)
            if seg:
                digits = [q for q in seg if digit_slice(q, tall)]
                if (refund_unsure and len(digits) > 1 and p is not None
                        and lp_digit[p] < unsure_lp
                        and min(lp_digit[q] for q in digits) >= sure_cut_lp):
                    total -= digit_bonus * (len(digits) - 1)  # (see UNSURE_WHOLE)
                options.append((total, a, digits))
        for (i, jj), q in plan.merges.items():
            if (jj == j and not ones_side_by_side(plan, i, jj, q, probs, pieces)
                    and not erases_a_digit(plan, i, jj, q, probs, pieces)
                    and not takes_in_a_neighbour(plan, i, jj, q, probs, pieces)):
                # parts that may each be punctuation compete with being marks, not with
                # other digits: no price for fewer digits (a small zero written in two
                # strokes was left out as two marks); so does a sure digit and the mark under
                # its foot (see foot_apart), or a 5 or 7 and its bar (see CAP_SURE)
                marks = (all(plan.punct_ok[i:jj])
                         or ((i, jj) in plan.feet and lp_digit[q] >= sure_cut_lp)
                         or ((i, jj) in plan.caps and lp_digit[q] >= cap_sure_lp
                             and int(np.argmax(probs[q, :NON_DIGIT])) in CAP_DIGITS)
                         ) and digit_bonus < 0
                swallowed = swallowed_digits(plan, i, jj, q, probs, pieces)
                options.append((as_digit(q) - digit_bonus * marks + digit_bonus * swallowed,
                                i, [q]))
        for score, i, chosen in options:
            total = best[i] + score - split_price.get(i, 0.0)
            if total > best[j]:
                best[j] = total
                back[j] = (i, chosen)
    out: list[int] = []
    j = n
    while j > 0:
        i, chosen = back[j]
        out[:0] = chosen
        j = i
    return out
