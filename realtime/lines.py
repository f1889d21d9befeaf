"""Lines: estimate the page tilt from the components, group them into text lines in the
de-rotated frame, order lines top to bottom and items left to right, and place spaces.
"""
from __future__ import annotations

import bisect
import math

import numpy as np

from realtime.order_stats import lower_quartile, median_of

MAX_TILT_DEG = 15.0
# An item joins a line by the members nearest it along the line, this many on each side: the
# part of a broken digit stacked above or below another part (an 8's loops, a 5's bar, a 3's
# top) has that part as its nearest member, with no vertical overlap, and made a line of its
# own ("13548" read "1355" and "0"). Tuning (2026-12-04, 1 until then): ORAND training images
# 89.4 -> 89.6 %, CER 3.05 -> 2.95 % (120 -> 116 edits: 6 fixed, 2 broken), synthetic pages
# 5000-5599 84.7 -> 85.2 % (3 fixed, none broken), fresh pages 6000-6399 81.0 -> 81.2 %; 3: ORAND
# 114 edits, synthetic 85.0 %, fresh 81.2 %.
NEIGHBOURS = 2


TILT_BLOCK = 256  # items compared at a time: memory stays O(block x window), not O(n^2)


def estimate_tilt(centres: np.ndarray, heights: np.ndarray) -> float:
    """Page tilt (radians, positive = lines fall to the right in image coordinates).

    Each component votes with the direction to its nearest similar-sized neighbour on its right
    (within the tilt range); the median vote is the tilt. No neighbours -> 0.
    """
    n = len(centres)
    if n < 2:
        return 0.0
    # sorted along x, an item's candidates lie in a window to its right (a neighbour is at
    # most 4 heights away), so a frame of thousands of specks is compared block by block
    # (5,000 dots: 0.6 GB and 0.3 s as one n x n comparison)
    order = np.argsort(centres[:, 0], kind="stable")
    xs = centres[order, 0].astype(np.float64)
    ys = centres[order, 1].astype(np.float64)
    hs = heights[order].astype(np.float64)
    reach = 4 * float(hs.max())
    limit = math.tan(math.radians(MAX_TILT_DEG + 5))
    nearest = np.full(n, -1)
    for start in range(0, n, TILT_BLOCK):
        stop = min(n, start + TILT_BLOCK)
        end = int(np.searchsorted(xs, xs[stop - 1] + reach, side="right"))
        dx = xs[None, start:end] - xs[start:stop, None]
        dy = ys[None, start:end] - ys[start:stop, None]
        hi, hj = hs[start:stop, None], hs[None, start:end]
        similar = np.minimum(hi, hj) >= 0.5 * np.maximum(hi, hj)
        ok = (dx > 0) & (np.abs(dy) <= dx * limit) & similar & (dx <= 4 * np.maximum(hi, hj))
        dist = np.where(ok, dx * dx + dy * dy, np.inf)
        best = np.argmin(dist, axis=1)
        found = np.isfinite(dist[np.arange(stop - start), best])
        nearest[start:stop][found] = start + best[found]
    i = np.nonzero(nearest >= 0)[0]
    if not len(i):
        return 0.0
    j = nearest[i]
    angles = np.arctan2(ys[j] - ys[i], xs[j] - xs[i])
    # weight by size: big digits give reliable directions, specks do not
    w = np.minimum(hs[i], hs[j])
    order = np.argsort(angles)
    cum = np.cumsum(w[order])
    tilt = float(angles[order][np.searchsorted(cum, cum[-1] / 2)])
    limit = math.radians(MAX_TILT_DEG)
    return min(max(tilt, -limit), limit)  # (np.clip on one number costs ~10 us)


def derotate(points: np.ndarray, tilt: float) -> np.ndarray:
    """(x, y) -> coordinates in the frame where lines are horizontal."""
    c, s = math.cos(tilt), math.sin(tilt)
    x, y = points[:, 0], points[:, 1]
    return np.stack([x * c + y * s, -x * s + y * c], axis=1)


FEW_LINES = 16  # up to this many lines so far, the spans are compared one by one


def group_lines(centres: np.ndarray, heights: np.ndarray, tilt: float,
                min_overlap: float = 0.35, widths: np.ndarray | None = None) -> list[np.ndarray]:
    """Cluster items into lines; returns index arrays, lines top to bottom, items left to right.

    Items are placed biggest first (digits before punctuation); each joins the line whose
    NEIGHBOURS nearest members on its left and right (along the line) overlap it most
    vertically in the de-rotated frame, which follows wavy baselines and copes with small and
    large digits on one line.
    """
    n = len(centres)
    if n == 0:
        return []
    p = derotate(centres, tilt)
    # plain floats: a page has tens of items, where numpy's per-call cost would dominate
    xs, ys = p[:, 0].tolist(), p[:, 1].tolist()
    hs = heights.astype(np.float64).tolist()
    ws = widths.astype(np.float64).tolist() if widths is not None else None
    lines: list[tuple[list[float], list[int]]] = []  # per line: members' xs sorted, members
    # each line's vertical span: an item overlapping no member of a line overlaps it nowhere,
    # so only lines it overlaps are scored (a page of specks is hundreds of one-speck lines)
    tops, bottoms = np.zeros(n), np.zeros(n)
    top_of: list[float] = []  # (the same spans as plain floats)
    bottom_of: list[float] = []
    for i in np.argsort(-np.asarray(hs), kind="stable").tolist():
        best, best_score = -1, min_overlap
        top, bottom = ys[i] - hs[i] / 2, ys[i] + hs[i] / 2
        m = len(lines)
        if m <= FEW_LINES:  # (plain floats: numpy's calls cost more on a handful)
            overlapping = [k for k in range(m) if top_of[k] < bottom and bottom_of[k] > top]
        else:
            overlapping = np.nonzero((tops[:m] < bottom) & (bottoms[:m] > top))[0].tolist()
        for k in overlapping:
            line_xs, members = lines[k]
            pos = bisect.bisect_left(line_xs, xs[i])
            neighbours = [members[j] for j in range(pos - NEIGHBOURS, pos + NEIGHBOURS)
                          if 0 <= j < len(members)]
            score = max(_overlap(i, j, xs, ys, hs) for j in neighbours)
            if score > best_score:
                best, best_score = k, score
        if best < 0:
            tops[len(lines)], bottoms[len(lines)] = top, bottom
            top_of.append(top)
            bottom_of.append(bottom)
            lines.append(([xs[i]], [i]))
        else:
            line_xs, members = lines[best]
            pos = bisect.bisect_left(line_xs, xs[i])
            line_xs.insert(pos, xs[i])
            members.insert(pos, i)
            top_of[best], bottom_of[best] = min(top_of[best], top), max(bottom_of[best], bottom)
            tops[best], bottoms[best] = top_of[best], bottom_of[best]
    groups = [members for _, members in lines]
    if ws is not None:
        groups = absorb_stacked_parts(groups, xs, ys, hs, ws)
    out = [np.asarray(sorted(members, key=lambda j: xs[j])) for members in groups]
    out.sort(key=lambda m: median_of([ys[j] for j in m]))
    return out


# Parts of a broken digit stacked one over the other (a cheque's 3 whose top came apart, a 6
# whose loop hangs under its stem, a 5's bar) overlap no neighbour enough to join its line and
# made lines of their own ("355" read "7", "055"). Tuning (2026-12-04, with segment's
# max_merge 4): ORAND training images 89.6 -> 90.0 %, CER 2.95 -> 2.72 % (116 -> 107 edits: 5
# fixed, none broken), synthetic pages 5000-5599 85.2 % (140 -> 138 edits), fresh pages the
# same. Placing such a part while grouping, instead of joining whole lines after: a line of
# small digits right above big ones was swallowed (fresh page 6110); a gap of 0.2: a comma
# under a 0 made it a 9.
STACK_GAP = 0.1        # (x the member's height) vertical gap of a part stacked on a member
STACK_SHARE = 0.5      # ... which shares at least this much of the narrower's width with it
STACK_SPECK = 0.25     # (x the other line's median height) smaller members are specks


def absorb_stacked_parts(groups: list[list[int]], xs: list[float], ys: list[float],
                         hs: list[float], ws: list[float]) -> list[list[int]]:
    """Join a line to another when each of its members (specks aside) is a part stacked right
    above or below a member of that other (see _stacked): a broken digit's top or bottom."""
    groups = [list(g) for g in groups]
    # each line's extent, grown by how far a part may stand off it: only lines whose extents
    # meet can be parts of one another (a page of specks is hundreds of one-speck lines)
    reach = np.array([[min(xs[j] - ws[j] / 2 for j in g), max(xs[j] + ws[j] / 2 for j in g),
                       min(ys[j] - hs[j] / 2 - STACK_GAP * hs[j] for j in g),
                       max(ys[j] + hs[j] / 2 + STACK_GAP * hs[j] for j in g)] for g in groups])
    for small in sorted(range(len(groups)), key=lambda k: max(hs[j] for j in groups[k])):
        x0, x1, y0, y1 = reach[small]
        near = ((reach[:, 0] <= x1) & (reach[:, 1] >= x0)
                & (reach[:, 2] <= y1) & (reach[:, 3] >= y0))
        near[small] = False
        for other in np.nonzero(near)[0].tolist():
            members = groups[other]
            if not members or not groups[small]:
                continue
            floor = STACK_SPECK * median_of([hs[j] for j in members])
            parts = [i for i in groups[small] if hs[i] >= floor]
            if parts and all(any(_stacked(i, j, xs, ys, hs, ws) for j in members)
                             for i in parts):
                members.extend(groups[small])
                groups[small] = []
                ox0, ox1, oy0, oy1 = reach[other]
                reach[other] = (min(ox0, x0), max(ox1, x1), min(oy0, y0), max(oy1, y1))
                break
    return [g for g in groups if g]


def _stacked(i: int, j: int, xs: list[float], ys: list[float], hs: list[float],
             ws: list[float]) -> bool:
    """Is item i a smaller part stacked right above or below member j (a 3's top, a 5's bar,
    a 6's loop apart from its stem)?"""
    if hs[i] >= hs[j]:
        return False
    shared = (min(xs[i] + ws[i] / 2, xs[j] + ws[j] / 2)
              - max(xs[i] - ws[i] / 2, xs[j] - ws[j] / 2))
    gap = abs(ys[i] - ys[j]) - (hs[i] + hs[j]) / 2
    return shared >= STACK_SHARE * min(ws[i], ws[j]) and gap <= STACK_GAP * hs[j]


def _overlap(i: int, j: int, xs: list[float], ys: list[float], hs: list[float]) -> float:
    """How well item i continues a line at its member j: their vertical overlap (de-rotated
    frame) relative to the smaller height; a far-away member says less about where the line
    is. (Each of the nearest members on either side counts: the part of a broken digit may sit lower
    than the stroke next to it but level with the digit on its other side.)"""
    top = max(ys[i] - hs[i] / 2, ys[j] - hs[j] / 2)
    bottom = min(ys[i] + hs[i] / 2, ys[j] + hs[j] / 2)
    score = (bottom - top) / max(1.0, min(hs[i], hs[j]))
    far = abs(xs[j] - xs[i]) / max(1.0, hs[j])
    return score - 0.02 * max(0.0, far - 3)


# A gap a little narrower than the space factor is still a space when it stands out from the
# line's usual spacing this many times over ("2613 6 4": gaps of 0.0-0.25 digit heights, then
# 0.83); the usual spacing counts as at least USUAL_FLOOR digit heights here, so a line of
# touching digits does not make every small gap stand out. Synthetic tuning pages 82.5 -> 82.8 %,
# fresh pages 6000-6399 79.8 -> 80.0 %, ORAND the same (CLOSE_SPACE 0.65: 82.5 %, 0.7: 82.8 % but a
# false space on a fresh page; CLOSE_RATIO 6: the same).
CLOSE_SPACE = 0.75
CLOSE_RATIO = 4.0
USUAL_FLOOR = 0.05


def space_after(lefts: np.ndarray, rights: np.ndarray, line_height: float,
                space_factor: float = 0.85, max_usual: float = 0.4,
                marks: np.ndarray | None = None) -> np.ndarray:
    """Bool per gap (len n-1): is the gap after item i a word space?

    A gap is a space when it is wider than `space_factor` digit heights and clearly wider than
    the line's usual (lower-quartile) spacing, so a widely spaced hand does not get spaces
    everywhere. The usual spacing counts as at most `max_usual` digit heights: in a line of
    single digits ("1 0", "5 6 6") every gap is a space, and so is its quartile. A gap over
    CLOSE_SPACE heights that is CLOSE_RATIO times the usual spacing is a space too.
    `marks` (m x 2: left, right along the line) are the line's other strokes: a gap counts
    only its widest stretch free of them, so the full stop of "2.028" or the long bar of a 5
    that came off it does not make a space.
    """
    if len(lefts) < 2:
        return np.zeros(0, bool)
    gaps = lefts[1:] - rights[:-1]
    if marks is not None and len(marks):
        gaps = free_gaps(rights[:-1], lefts[1:], marks)
    usual = min(max(0.0, lower_quartile(gaps.tolist())), max_usual * line_height)
    wide = (gaps > space_factor * line_height) & (gaps > 1.5 * usual)
    stands_out = ((gaps > CLOSE_SPACE * line_height)
                  & (gaps > CLOSE_RATIO * max(usual, USUAL_FLOOR * line_height)))
    return wide | stands_out


FEW_MARKS = 32  # free_gaps compares up to this many marks with each gap one by one


def free_gaps(starts: np.ndarray, ends: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """Per gap [start, end): its widest stretch not covered by any of `marks` (left, right
    intervals); end - start where none falls inside."""
    out = np.asarray(ends, np.float64) - np.asarray(starts, np.float64)
    order = np.argsort(marks[:, 0], kind="stable")
    marks = marks[order]
    few = len(marks) <= FEW_MARKS
    if few:  # (plain floats: numpy's per-gap calls cost more on a handful of marks)
        listed = marks[:, :2].tolist()
        starts, ends = np.asarray(starts).tolist(), np.asarray(ends).tolist()
    for g, (a, b) in enumerate(zip(starts, ends, strict=True)):
        if few:
            inside = [m for m in listed if m[1] > a and m[0] < b]
        else:
            inside = marks[(marks[:, 1] > a) & (marks[:, 0] < b)][:, :2].tolist()
        if a >= b or not len(inside):
            continue
        widest, at = 0.0, float(a)
        for left, right in inside:
            widest = max(widest, left - at)
            at = max(at, right)
        out[g] = max(widest, b - at)
    return out

