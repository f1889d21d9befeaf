"""Binarize the ink map: hysteresis threshold (strong seeds grow into faint connected strokes, so
pencil and thin strokes survive while isolated texture does not), then remove ruled lines,
underlines and box borders without eating the digits that touch them.
"""
from __future__ import annotations

import math

import cv2
import numpy as np

from realtime import components as cp
from realtime import light, order_stats
from realtime.components import Components, find_components, label_components

# Never call anything weaker than this ink (0..255 contrast) a stroke, however clean the image.
MIN_LOW = 22
MIN_HIGH = 50
LOW_FRACTION = 0.4
NOISE_PERCENTILE = 90.0
# A component of at least FAINT_SEED_AREA px is kept when it reaches FAINT_SEED x the high
# threshold and paper surrounds it (tuning: 0.5-0.8 alike; synthetic pages 5000-5599 75.2 ->
# 76.2 %, ORAND unchanged; without the paper test the rim of a hard shadow read as digits).
# 0.65 until 2026-12-06: on a form, black print sets `high` and a pencil number beside it
# (0.5-0.65 of it) was lost whole; at 0.5 tuning forms 5000-5299 88.7 -> 89.0 %, check forms
# 10000-10199 90.0 -> 90.5 %, synthetic and ORAND tuning sets the same (0.6: one tuning page
# lost; 0.4, i.e. any component above `low`, read the tuning sets as 0.5 does)
FAINT_SEED = 0.5
FAINT_SEED_AREA = 10
FAINT_RING_MAX = 0.5
FAINT_MAX_CANDIDATES = 40


def histogram_percentile(values: np.ndarray, q: float) -> float:
    """Percentile of a uint8 array from its histogram (much faster than np.percentile)."""
    if values.size == 0:
        return 0.0
    hist = cv2.calcHist([np.ascontiguousarray(values)], [0], None, [256], [0, 256]).ravel()
    cum = np.cumsum(hist)
    return float(np.searchsorted(cum, cum[-1] * q / 100.0))


def noise_floor(noise: np.ndarray) -> int:
    """The weakest contrast that can be ink on this page: above the noise map's usual level."""
    return max(MIN_LOW, int(histogram_percentile(noise, NOISE_PERCENTILE) * 1.2) + 4)


def thresholds(ink: np.ndarray, noise: np.ndarray, floor: int | None = None) -> tuple[int, int]:
    """(low, high) thresholds on the ink map; `noise` is light.contrast_maps' subsampled
    noise map.

    high: Otsu's split of the pixels that are not plain paper (ink against texture, ruled
    lines and faint marks); low: a fraction of it, so faint parts of a stroke that reaches
    `high` somewhere are kept; both above the noise level (`floor`: noise_floor(noise), when
    the caller has it).
    """
    if floor is None:
        floor = noise_floor(noise)
    sample = ink[::2, ::2] if ink.size > 40000 else ink
    strong = sample[sample > floor]
    if strong.size >= 16:
        otsu, _ = cv2.threshold(strong.reshape(1, -1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        high = max(MIN_HIGH, floor + 10, int(otsu))
    else:
        high = max(MIN_HIGH, floor + 10)
    low = max(floor, int(LOW_FRACTION * high))
    return low, min(high, 250)


def hysteresis_components(ink: np.ndarray, low: int, high: int, min_area: int = 3) -> Components:
    """Components of pixels >= low that hold at least one pixel >= high (8-connected).

    One labelling pass gives both the hysteresis mask and the components: a kept weak
    component is exactly a component of the final mask.
    """
    weak = (ink >= low).view(np.uint8)
    n, labels, stats, runs = label_components(weak)
    # a faint digit on a page of strong ink never reaches `high` (Otsu's split is set by the
    # strong ink): a weaker seed will do for a component of some size with clean paper all
    # round it (not the faint rim of a shadow's edge, which has "ink" on its dark side)
    faint_level = max(low + 1, int(FAINT_SEED * high))
    if runs is not None:  # a sparse mask: look at its own pixels only, run by run
        level = np.ravel(ink)[runs.flat]
        seeded = runs.any_at_least(level, high, n)
        faint = runs.any_at_least(level, faint_level, n)
    else:
        seeded = np.zeros(n, bool)
        seeded[labels[ink >= high]] = True
        faint = np.zeros(n, bool)
        faint[labels[ink >= faint_level]] = True
    faint &= ~seeded & (stats[:, cv2.CC_STAT_AREA] >= FAINT_SEED_AREA)
    faint[0] = False
    candidates = np.nonzero(faint)[0]
    if candidates.size <= FAINT_MAX_CANDIDATES:  # (more: a texture at that level, not writing)
        for k in candidates:
            seeded[k] = paper_around(ink, labels, stats[k, :4], k, low)
    seeded[0] = False
    unseeded = ~seeded
    unseeded[0] = False
    seeded &= stats[:, cv2.CC_STAT_AREA] >= min_area
    ids = np.nonzero(seeded)[0]
    return Components(labels, ids, stats[ids, :4].astype(np.int64),
                      stats[ids, cv2.CC_STAT_AREA].astype(np.int64),
                      stats[unseeded, :5].astype(np.int64))


def ring_around(labels: np.ndarray, label: int, box) -> tuple[tuple[slice, slice], np.ndarray,
                                                               np.ndarray]:
    """(window, own, ring) for the component `label` in `box` (x, y, w, h): a window of the
    image 3 px wider each side, and bool masks in it of the component's pixels and of the ring
    2 px outside it (past the blur of its edge)."""
    x, y, w, h = (int(v) for v in box)
    window = (slice(max(0, y - 3), min(labels.shape[0], y + h + 3)),
              slice(max(0, x - 3), min(labels.shape[1], x + w + 3)))
    own = (labels[window] == int(label)).view(np.uint8)  # (int: see Components.own_mask)
    near = cv2.dilate(own, np.ones((3, 3), np.uint8))
    ring = cv2.dilate(own, np.ones((5, 5), np.uint8)) > near
    return window, own.view(bool), ring


def paper_around(ink: np.ndarray, labels: np.ndarray, box, k: int, low: int) -> bool:
    """Is component k (label value, `box` x, y, w, h) surrounded by paper? Most of the ring
    1-2 px outside it holds under FAINT_RING_MAX x `low` of ink contrast."""
    window, _, ring = ring_around(labels, k, box)
    around = ink[window][ring]
    if around.size < 8:
        return True
    return bool(np.sort(around)[len(around) * 4 // 5] < FAINT_RING_MAX * low)


def hysteresis(ink: np.ndarray, low: int, high: int) -> np.ndarray:
    """Pixels >= low that are 8-connected to a pixel >= high -> bool mask."""
    return hysteresis_components(ink, low, high, min_area=1).mask()


def binarize(ink: np.ndarray, noise: np.ndarray, min_area: int = 3) -> Components:
    """Ink map -> stroke components (hysteresis between thresholds set by the noise; `noise`
    as light.contrast_maps gives it, at every light.noise_step-th pixel)."""
    if ink.size == 0:
        return find_components(np.zeros(ink.shape, bool))
    floor = noise_floor(noise)
    low, high = thresholds(ink, noise, floor)
    if looks_like_noise(ink, noise, high):
        return find_components(np.zeros(ink.shape, bool))
    comps = hysteresis_components(ink, low, high, min_area)
    return with_outshone_writing(comps, ink, noise, low, high, floor, min_area)


# Writing the page's strong ink outshines: black print sets Otsu's split, and a pencil number
# beside it whose strokes stay under `low` (0.4 of it) is not even a component. Where, away
# from the components found, the noise map's sample points reach OUTSHONE_SHARE x `low` in
# marks of writing's size and shape (at least OUTSHONE_MIN_HEIGHT of the components' typical
# height, at most OUTSHONE_MAX_ASPECT times as wide as tall: a board's or a page's light ruled
# lines are not writing) and at least OUTSHONE_MIN_SAMPLES of them in all, the ink map around
# those marks, the strong ink (and OUTSHONE_MARGIN px round it) blanked out, is thresholded
# again on its own. What that finds is added when it is at most FAINT_MAX_CANDIDATES
# components of FAINT_SEED_AREA px or more, of the same size and shape, with paper all round.
# Only where `low` is at least OUTSHONE_LOW_OVER_FLOOR x the noise floor: under that, little
# writing lies between the two, and the search cost up to 5 ms on a page of dark digits.
OUTSHONE_LOW_OVER_FLOOR = 2.0
OUTSHONE_SHARE = 0.6
OUTSHONE_MIN_SAMPLES = 40
OUTSHONE_MARGIN = 3
OUTSHONE_MIN_HEIGHT = 0.4
OUTSHONE_MAX_ASPECT = 4.0


def writing_sized(boxes: np.ndarray, least_height: float) -> np.ndarray:
    """Bool per box (x, y, w, h): tall enough and not too wide to be writing."""
    return (boxes[:, 3] >= least_height) & (boxes[:, 2] <= OUTSHONE_MAX_ASPECT * boxes[:, 3])


def with_outshone_writing(comps: Components, ink: np.ndarray, noise: np.ndarray, low: int,
                          high: int, floor: int, min_area: int = 3) -> Components:
    """`comps` (found between `low` and `high`) plus the writing too faint for those thresholds,
    found by thresholding the rest of the ink map on its own (see OUTSHONE_SHARE); `floor`:
    noise_floor(noise)."""
    if low < OUTSHONE_LOW_OVER_FLOOR * floor:
        return comps
    step = light.noise_step(ink.shape)
    sample = ink[::step, ::step]
    sample_labels = comps.labels[::step, ::step]
    kept = np.zeros(max(int(sample_labels.max()), int(comps.ids.max(initial=0))) + 1, np.uint8)
    kept[comps.ids] = 1
    near = cv2.dilate(kept[sample_labels], np.ones((3, 3), np.uint8))
    weak = cv2.subtract(at_least(sample, max(floor + 1, OUTSHONE_SHARE * low)).view(np.uint8), near)
    if cv2.countNonZero(weak) < OUTSHONE_MIN_SAMPLES:
        return comps
    # (sampled strokes fall apart into dots: joined again before they are measured)
    _, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(weak, np.ones((3, 3), np.uint8)))
    least_height = OUTSHONE_MIN_HEIGHT * cp.typical_height(comps.boxes, comps.areas)
    marks = stats[1:, :4].astype(np.int64) * step
    marks = marks[writing_sized(marks, least_height)]
    if not len(marks):
        return comps
    # the window round those marks, on the sample grid (the noise map's)
    pad = 2 * step + OUTSHONE_MARGIN
    x0, y0 = ((marks[:, :2].min(axis=0) - pad) // step * step).clip(0).tolist()
    x1, y1 = (marks[:, :2] + marks[:, 2:]).max(axis=0).tolist()
    x1, y1 = min(ink.shape[1], x1 + pad), min(ink.shape[0], y1 + pad)
    labels = comps.labels[y0:y1, x0:x1]  # (a view: the found writing is labelled in place)
    if len(kept) <= int(labels.max()):
        kept = np.concatenate([kept, np.zeros(int(labels.max()) + 1 - len(kept), np.uint8)])
    size = 2 * OUTSHONE_MARGIN + 1
    strong = cv2.dilate(kept[labels], np.ones((size, size), np.uint8))
    rest = ink[y0:y1, x0:x1].copy()
    rest[strong.view(bool)] = 0
    local_noise = noise[y0 // step:-(-y1 // step), x0 // step:-(-x1 // step)]
    low2, high2 = thresholds(rest, local_noise, floor)
    if high2 >= high or looks_like_noise(rest, local_noise, high2):
        return comps
    found = hysteresis_components(rest, low2, high2, min_area)
    keep = [i for i in np.flatnonzero(writing_sized(found.boxes, least_height)
                                      & (found.areas >= FAINT_SEED_AREA))
            if paper_around(rest, found.labels, found.boxes[i], int(found.ids[i]), low2)]
    if not keep or len(keep) > FAINT_MAX_CANDIDATES:
        return comps
    first = int(comps.labels.max()) + 1
    for k, i in enumerate(keep):
        x, y, w, h = (int(v) for v in found.boxes[i])
        labels[y:y + h, x:x + w][found.labels[y:y + h, x:x + w] == int(found.ids[i])] = first + k
    boxes = found.boxes[keep] + np.array([x0, y0, 0, 0])
    return Components(comps.labels,
                      np.concatenate([comps.ids, np.arange(first, first + len(keep))]),
                      np.concatenate([comps.boxes, boxes]),
                      np.concatenate([comps.areas, found.areas[keep]]), comps.faint)


def looks_like_noise(ink: np.ndarray, noise: np.ndarray, high: int) -> bool:
    """True when strong contrast is as common on the paper side as on the ink side: a noise
    field or a texture, not writing (ink is one-sided; noise is symmetric). `noise` is the
    subsampled noise map; the ink map is sampled alike."""
    step = light.noise_step(ink.shape)
    n_ink = int(np.count_nonzero(ink[::step, ::step] >= high))
    n_noise = int(np.count_nonzero(noise >= high))
    return n_ink < 1.5 * n_noise and n_noise >= 0.005 * noise.size


# ---- long thin lines -------------------------------------------------------------------------

def column_runs(roi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column of a component mask: ink count, vertical span (0 = no ink), centre row."""
    h = roi.shape[0]
    if roi.size == 0:
        return (np.zeros(roi.shape[1], np.int64),) * 2 + (np.zeros(roi.shape[1]),)
    # OpenCV's reduce and a transposed copy: numpy's column-wise reductions are several times slower
    u8 = np.ascontiguousarray(roi).view(np.uint8)
    count = cv2.reduce(u8, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel().astype(np.int64)
    by_column = cv2.transpose(u8)
    top = np.argmax(by_column.view(bool), 1)
    bottom = h - 1 - np.argmax(cv2.flip(by_column, 1).view(bool), 1)
    span = np.where(count > 0, bottom - top + 1, 0)
    return count, span, (top + bottom) / 2.0


def strip_horizontal_line(roi: np.ndarray, min_length: int = 20, attached_ratio: float = 1.5,
                          min_thin_fraction: float = 0.25, min_row: float = 0.0,
                          fits: list | None = None) -> bool:
    """If the component mask `roi` holds a long near-horizontal line, erase it in place (and
    append (its thin columns, their centre rows, its thickness) to `fits` if given).

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
    h = roi.shape[0]
    # a line is thin compared with what stands on it: estimate its thickness from the columns
    # that are at most a quarter of the component tall
    cand = has & (span <= max(3, 0.25 * h))
    if cand.sum() < min_length:
        return False
    thickness = order_stats.median(span[cand])
    thin = cand & (span <= 1.5 * thickness + 1) & (count >= 0.6 * span)
    # a line is judged by its long thin stretches only: a long slanted stroke (a cheque's
    # leading 1) is thin in short stretches where its width wavers, a chain of cursive zeros
    # at each loop's sides and joins; together they looked like a line, and were cleared
    # (runs over the inked columns: a faint line breaks up into dashes with gaps between)
    along = np.zeros_like(thin)
    along[has] = long_runs(thin[has], max(2, int(round(LINE_RUN * thickness))))
    n_thin = int(along.sum())
    if n_thin < min_length or n_thin < min_thin_fraction * n_has:
        return False
    xs = np.nonzero(thin)[0]
    spread = xs.max() - xs.min() + 1
    if spread < 0.8 * n_has:  # thin parts at both ends: the line runs under everything
        return False
    fat = has & ~thin
    attached = order_stats.percentile(span[fat], 90) if fat.any() else thickness
    if n_thin < attached_ratio * attached:
        return False
    if order_stats.median(centre[xs]) < min_row * h:  # not where a line must be (e.g. under digits)
        return False
    if xs.size >= 2 and abs(order_stats.slope(xs, centre[xs])) > MAX_LINE_SLOPE:
        return False  # a slanted stroke (a long 1, a 7's stem), not a line of a tilted page
    if fits is not None:
        fits.append((xs, centre[xs], thickness))
    if not fat.any():
        # the line alone, nothing standing on it (most of a ruled page's lines): every inked
        # column is thin and goes whole, so no band need be fitted and cleared
        roi[...] = False
        return True
    clear_band(roi, *line_band(xs, centre, roi.shape[1], thickness))
    np.logical_and(roi, ~thin, out=roi)  # clear the thin columns (a row mask broadcast down)
    return True


# (x the line's thickness) a thin stretch this long may be part of a line (tuning: 3-5 alike)
LINE_RUN = 4.0
# A ruled line of a page tilted up to 15 degrees slopes by at most 0.27; the lower half of a
# cheque's long slanted 1 (a hollow component with its neighbours, halved by strip_frame) was
# taken for a line. Tuning: 0.25-0.3 alike on ORAND; 0.2 cut the lines of tilted synthetic pages
MAX_LINE_SLOPE = 0.3


def true_runs(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the runs of True in `flags` (1-D bool or 0/1 int8), each run
    flags[start:end]."""
    # (padded by hand: np.diff's prepend and append cost ~10 us a call, as much as the rest)
    padded = np.zeros(flags.size + 2, np.int8)
    padded[1:-1] = flags.view(np.int8)
    edges = padded[1:] - padded[:-1]
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def long_runs(flags: np.ndarray, min_run: int) -> np.ndarray:
    """`flags` (1-D bool) with the runs of True shorter than `min_run` turned False."""
    if flags.size == 0:
        return np.zeros_like(flags)
    starts, ends = true_runs(flags)
    long = ends - starts >= min_run
    # +1 where a long run starts and -1 past its end: the running sum is 1 inside them (no
    # loop over the runs: a dashed line has hundreds)
    marks = np.zeros(flags.size + 1, np.int8)
    marks[starts[long]] = 1
    marks[ends[long]] = -1
    return np.cumsum(marks[:-1], dtype=np.int8).view(bool)


# A line that digits stand on along most of its length shows few thin columns, so
# strip_horizontal_line misses it. It is still one long horizontal run, much longer than any
# stroke of a digit (a 2's foot or a 7's bar is under a digit height; two touching feet under
# two): kept by an opening with a run this many digit heights long.
COVERED_LINE_RUN = 2.0
COVERED_LINE_SPAN = 0.6   # ... whose runs together cover this share of the component's width


def strip_covered_line(roi: np.ndarray, typical_height: float, apart: bool = False) -> bool:
    """If the component mask `roi` holds a near-horizontal line mostly covered by the digits
    standing on it (a cheque's printed line under a handwritten amount), erase a band along it
    in place, as strip_horizontal_line does for its thick columns. `apart`: look for two or
    more such lines, each taken on its own (a cheque's box ruled above and below the amount,
    which together read as one thick band)."""
    h, w = roi.shape
    run = max(20, int(round(COVERED_LINE_RUN * typical_height)))
    if typical_height <= 0 or w < max(run, 2 * h):
        return False
    u8 = np.ascontiguousarray(roi).view(np.uint8)
    runs = cv2.morphologyEx(u8, cv2.MORPH_OPEN, np.ones((1, run), np.uint8))
    max_thickness = max(3.0, 0.2 * typical_height)
    if not apart:
        return clear_covered_line(roi, runs.view(bool), max_thickness)
    n, run_labels, stats, _ = label_components(runs)
    if n <= 2:
        return False  # (one run only: that is apart=False's case)
    changed = False
    for r in np.nonzero(stats[1:, cv2.CC_STAT_WIDTH] >= COVERED_LINE_SPAN * w)[0] + 1:
        changed |= clear_covered_line(roi, run_labels == int(r), max_thickness)
    return changed


def clear_covered_line(roi: np.ndarray, runs: np.ndarray, max_thickness: float) -> bool:
    """Erase, where it is alone in its column, the line whose long runs `runs` (a mask like
    roi) marks, if the runs cover most of roi's width and are thin; see strip_covered_line."""
    w = roi.shape[1]
    _, span, centre = column_runs(runs)
    xs = np.nonzero(span > 0)[0]
    if xs.size < COVERED_LINE_SPAN * w:
        return False
    thickness = order_stats.median(span[xs])
    if thickness > max_thickness:  # a band of ink, not a line
        return False
    cols, centre_rows, _ = line_band(xs, centre, w, thickness)
    # only where the line is alone in its column's band: where a stroke runs into it from
    # above or below (a 1 crossing it) or lies along it (a 0's or a 2's foot: the band holds
    # more than the line's thickness) the column is left whole, so the digits lose nothing
    # and only keep a stub of line where they touch it
    clear_line_alone(roi, cols, centre_rows, thickness)
    return True


def line_band(xs: np.ndarray, centre: np.ndarray, width: int,
              thickness: float) -> tuple[np.ndarray, np.ndarray, int]:
    """(columns, centre row of each, half height) of the band along the line fitted through the
    centres of columns `xs` (a parabola for long lines, which sag), two columns wider each side."""
    cols = np.arange(max(0, xs.min() - 2), min(width, xs.max() + 3))
    rows = order_stats.fit_at(xs, centre[xs], 2 if xs.size > 200 else 1, cols)
    return cols, np.rint(rows).astype(np.int64), int(np.ceil(thickness / 2 + 1.0))


def clear_band(roi: np.ndarray, cols: np.ndarray, centre_rows: np.ndarray, half: int) -> None:
    """Clear rows centre - half .. centre + half of each of `cols` in place (index arrays:
    cheap), clipped to the mask."""
    rows = centre_rows[None, :] + np.arange(-half, half + 1)[:, None]
    inside = (rows >= 0) & (rows < roi.shape[0])
    if roi.flags.c_contiguous:  # (one flat index per pixel: ~40 % faster on a page-wide line)
        roi.reshape(-1)[(rows * roi.shape[1] + cols)[inside]] = False
    else:
        roi[rows[inside], np.broadcast_to(cols, rows.shape)[inside]] = False


# Squared (graph) paper, or a ruled page whose margin line joins its lines into a comb: its
# lines join into one component with everything written on it, which no single-line test
# takes apart. A component crossed by at least GRID_MIN_LINES evenly spaced straight lines
# across (near level, sloping by at most MAX_LINE_SLOPE, each inked along at least
# GRID_LINE_SHARE of the component's width: a light grid's lines are dashed where the
# threshold broke them, and a row of digits crosses a line through it over far less) loses
# them, and its upright lines with them: evenly spaced ones (squared paper), or else those
# inked along GRID_MARGIN_SHARE of its height (a margin; a digit's stroke is far shorter).
GRID_MIN_LINES = 3
GRID_SPACING_TOLERANCE = 0.15
GRID_MIN_SPACING = 10.0  # px between a grid's lines, at the least
GRID_SAME_LINE = 4.0  # px: lines found this close (where they cross the middle) are one line
GRID_EVEN_SHARE = 0.8
GRID_LINE_SHARE = 0.35
GRID_MIN_SIDE = 60
GRID_MARGIN_SHARE = 0.8
_GRID_STEP = np.pi / 360  # the Hough transform's angle step
# (whole steps from upright and from level, so that the Hough grid holds both exactly)
_GRID_THETA = round(math.atan(MAX_LINE_SLOPE) / _GRID_STEP) * _GRID_STEP


def grid_lines(roi: np.ndarray, upright: bool, share: float = GRID_LINE_SHARE) -> np.ndarray:
    """(rho, theta) of the straight lines of `roi` (a component mask) near upright or near
    horizontal that are inked along `share` of its height or width (Hough)."""
    h, w = roi.shape
    votes = int(share * (h if upright else w))
    step = _GRID_STEP
    u8 = roi.view(np.uint8)
    if upright:  # (theta near 0, or near pi for a line leaning the other way)
        spans = [(0.0, _GRID_THETA), (np.pi - _GRID_THETA, np.pi - step)]
    else:
        spans = [(np.pi / 2 - _GRID_THETA, np.pi / 2 + _GRID_THETA)]
    found = [cv2.HoughLines(u8, 1, step, votes, min_theta=lo, max_theta=hi) for lo, hi in spans]
    found = [f.reshape(-1, 2) for f in found if f is not None]
    return np.concatenate(found) if found else np.zeros((0, 2), np.float32)


def crossings(lines: np.ndarray, shape, upright: bool) -> np.ndarray:
    """Where each (rho, theta) line crosses the middle row (upright lines: its x) or the middle
    column (lines across: its y) of a box of `shape`."""
    rho, theta = lines[:, 0].astype(np.float64), lines[:, 1].astype(np.float64)
    h, w = shape
    if upright:
        return (rho - h / 2 * np.sin(theta)) / np.cos(theta)
    return (rho - w / 2 * np.cos(theta)) / np.sin(theta)


def distinct_lines(roi: np.ndarray, upright: bool, share: float = GRID_LINE_SHARE):
    """grid_lines, where they cross the middle (crossings) and grouped (line_groups):
    (lines, positions, groups)."""
    lines = grid_lines(roi, upright, share)
    positions = crossings(lines, roi.shape, upright)
    return lines, positions, line_groups(positions, GRID_SAME_LINE)


def one_per_group(lines: np.ndarray, groups: list[np.ndarray]) -> list:
    """The line drawn for each group (HoughLines lists lines by votes: the group's first)."""
    return [lines[int(g.min())] for g in groups]


def line_groups(positions: np.ndarray, apart: float) -> list[np.ndarray]:
    """Indices of the lines at `positions` (crossings), grouped: lines within `apart` of their
    neighbour are one line found several times, at slightly different angles and offsets.
    Groups in order of position."""
    order = np.argsort(positions, kind="stable")
    breaks = np.flatnonzero(np.diff(positions[order]) > apart) + 1
    return np.split(order, breaks) if len(order) else []


def evenly_spaced(positions: np.ndarray, groups: list[np.ndarray],
                  min_spacing: float = GRID_MIN_SPACING) -> bool:
    """Do the lines at `positions`, grouped (line_groups), lie on a lattice (lattice_step), as
    squared paper's do? (The strokes of digits that a Hough transform takes for lines are not
    evenly spaced.)"""
    if len(groups) < GRID_MIN_LINES:
        return False
    return lattice_step(group_centres(positions, groups), min_spacing) is not None


def group_centres(positions: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Each group's mean position (in order, as line_groups gives them)."""
    return np.array([float(np.mean(positions[g])) for g in groups])


# Fine graph paper (squares of 10-15 px, a darker line every fifth): the threshold leaves its
# light minor lines in pieces, and those found are an irregular part of its lattice (60, 12,
# 36, 12, 24 px apart), whose median gap is no step of it. With at least FINE_GRID_MIN_LINES
# lines, gaps that are whole multiples of the smallest one (within GRID_SPACING_TOLERANCE of
# it or LATTICE_SLACK px) make a lattice too, and the lattice's lines not found are erased as
# well (ruled_lines). Fine graph pages (12 px, minor lines at grey 170): 0 of 3 -> 3 of 3.
FINE_GRID_MIN_LINES = 6
LATTICE_SLACK = 2.0


def lattice_step(centres: np.ndarray, min_spacing: float = GRID_MIN_SPACING) -> float | None:
    """The step of the lattice that lines at `centres` (in order) lie on, or None: their median
    gap when GRID_EVEN_SHARE of the gaps (GRID_MIN_LINES - 1 at least) are within
    GRID_SPACING_TOLERANCE of a whole number of it (a gap of two or three steps is a line the
    threshold left too broken to be found); else, from FINE_GRID_MIN_LINES lines on, the
    smallest gap that GRID_EVEN_SHARE of the gaps are whole multiples of."""
    if len(centres) < GRID_MIN_LINES:
        return None
    gaps = np.diff(centres)
    usual = float(np.median(gaps))
    if usual < min_spacing:
        return None  # (lines packed this close are the Hough transform's reading of a blob)
    if (whole_multiples(gaps, np.array([usual]), GRID_SPACING_TOLERANCE).sum()
            >= max(GRID_MIN_LINES - 1, GRID_EVEN_SHARE * len(gaps))):
        return usual
    if len(centres) < FINE_GRID_MIN_LINES:
        return None
    steps = np.unique(np.round(gaps[gaps >= min_spacing], 1))
    tolerance = np.maximum(GRID_SPACING_TOLERANCE, LATTICE_SLACK / steps)
    fits = np.flatnonzero(whole_multiples(gaps, steps, tolerance).sum(axis=1)
                          >= GRID_EVEN_SHARE * len(gaps))
    return float(steps[fits[0]]) if fits.size else None


def whole_multiples(gaps: np.ndarray, steps: np.ndarray, tolerance) -> np.ndarray:
    """Bool (steps x gaps): is each gap within `tolerance` (a share of the step; one for all,
    or one per step) of a whole number of each of `steps`? (Every candidate step at once: a
    page's bands try tens of them.)"""
    ratios = gaps[None, :] / steps[:, None]
    tolerance = np.broadcast_to(np.asarray(tolerance, np.float64), steps.shape)[:, None]
    return (np.abs(ratios - np.round(ratios)) <= tolerance) & (ratios >= 0.5)


def strip_grid(roi: np.ndarray) -> bool:
    """Erase, in place, the lines of squared or ruled paper from a component mask `roi`
    (paper_lines); False (and `roi` unchanged) when it has none."""
    lines = paper_lines(roi)
    if lines is None:
        return False
    erase_lines(roi, lines)
    return True


def paper_lines(roi: np.ndarray) -> list | None:
    """The (rho, theta) lines of squared or ruled paper in a component mask `roi`, or None: at
    least GRID_MIN_LINES evenly spaced lines across it, and its upright lines, evenly spaced
    (squared paper) or at least one running along GRID_MARGIN_SHARE of its height (a ruled
    page's margin, which joins its lines into one comb). None when it is neither (ruled lines
    joined by a shadow's edge left pieces of the edge that read as 1s, synthetic page 12507)."""
    h, w = roi.shape
    if min(h, w) < GRID_MIN_SIDE or not crossed_evenly(roi.T):
        return None  # (the Hough transform costs ~1 ms on a page-wide ruled line)
    found = evenly_ruled(roi, upright=False)
    if found is None:
        return None
    upright = evenly_ruled(roi, upright=True) if crossed_evenly(roi) else None
    if upright is None:
        lines, _, groups = distinct_lines(roi, upright=True, share=GRID_MARGIN_SHARE)
        upright = one_per_group(lines, groups)
        if not upright:
            return None  # (lines across joined by something else: a shadow's edge, a digit)
    return found + upright


# A form's comb field: digits each written in its own printed box, the boxes side by side. Its
# top and bottom lines cover COMB_COVER of the columns of the component's top and bottom
# quarters (a cheap first test), and a Hough transform finds them and at least
# GRID_MIN_LINES evenly spaced box sides, each inked along GRID_MARGIN_SHARE of the
# component's width or height (the digits inside are smaller than their boxes).
COMB_COVER = 0.9
COMB_MIN_HEIGHT = 20


def strip_comb(roi: np.ndarray) -> bool:
    """Erase, in place, the boxes of a comb field from a component mask `roi`; False (and `roi`
    unchanged) when it is none."""
    h, w = roi.shape
    quarter = max(1, h // 4)
    if (h < COMB_MIN_HEIGHT or w < GRID_MIN_LINES * h / 2
            or roi[:quarter].any(axis=0).mean() < COMB_COVER
            or roi[-quarter:].any(axis=0).mean() < COMB_COVER):
        return False
    found = []
    for upright in (False, True):
        lines, positions, groups = distinct_lines(roi, upright, share=GRID_MARGIN_SHARE)
        if len(groups) < 2 or (upright and not evenly_spaced(positions, groups)):
            return False
        found += one_per_group(lines, groups)
    erase_lines(roi, found)
    return True


def erase_lines(roi: np.ndarray, lines: list) -> int:
    """Clear the (rho, theta) `lines` from the mask `roi`, in place, as thick as they are (and
    a pixel more each side) -> the width they were cleared at."""
    axes = np.zeros(roi.shape, np.uint8)
    for line in lines:
        draw_line(axes, *map(float, line), 1)
    # the lines' thickness: twice the distance from their middle to the paper, less one
    # (strokes crossing them are a few of the pixels along them)
    inside = cv2.distanceTransform(roi.view(np.uint8), cv2.DIST_L2, 3)[axes.view(bool) & roi]
    thickness = max(1, round(2 * float(np.median(inside)) - 1)) if inside.size else 1
    drawn = np.zeros(roi.shape, np.uint8)
    for line in lines:
        draw_line(drawn, *map(float, line), thickness + 2)
    roi &= ~drawn.view(bool)
    return thickness + 2


def shifted_lines(lines: list, x: int, y: int) -> list:
    """(rho, theta) lines of a box at (x, y) in the coordinates of the image it is cut from."""
    return [np.array([float(rho) + x * math.cos(float(theta)) + y * math.sin(float(theta)),
                      float(theta)], np.float32) for rho, theta in lines]


def crossed_evenly(roi: np.ndarray) -> bool:
    """Does a band of 3 rows across `roi`, at a quarter, half or three quarters of its height,
    cross more than GRID_MIN_LINES thin strokes (at most GRID_MIN_SPACING wide), evenly spaced
    (evenly_spaced), as it crosses squared paper's upright lines away from the writing? A cheap
    first test for strip_grid."""
    h = roi.shape[0]
    for at in (h // 4, h // 2, 3 * h // 4):
        starts, ends = true_runs(roi[max(0, at - 1):at + 2].any(axis=0))
        thin = ends - starts <= GRID_MIN_SPACING  # (not along a line across, nor a blot)
        if np.count_nonzero(thin) <= GRID_MIN_LINES:
            continue
        centres = (starts[thin] + ends[thin] - 1) / 2.0
        if evenly_spaced(centres, line_groups(centres, GRID_SAME_LINE)):
            return True
    return False


def evenly_ruled(roi: np.ndarray, upright: bool) -> list | None:
    """The (rho, theta) of `roi`'s lines near upright or across it when they lie on a lattice
    (evenly_spaced), else None: see ruled_lines."""
    lines, positions, groups = distinct_lines(roi, upright)
    centres = group_centres(positions, groups)  # (evenly_spaced's test, on centres made once)
    if len(groups) < GRID_MIN_LINES or lattice_step(centres) is None:
        return None
    return ruled_lines(lines, centres, groups, roi.shape, upright)


def signed_angle(theta: np.ndarray) -> np.ndarray:
    """A Hough line's angle (radians) from upright or from level, whichever is nearer, signed."""
    return (theta + np.pi / 4) % (np.pi / 2) - np.pi / 4


def ruled_lines(lines: np.ndarray, centres: np.ndarray, groups: list[np.ndarray], shape,
                upright: bool) -> list:
    """One (rho, theta) line per group of a lattice's lines found, and one at each of its
    places (its step from lattice_step, down to the finest step its gaps are multiples of)
    where none was found.

    A paper's lines are parallel: each group's line is the one nearest their common angle
    (the median of each group's best-voted, whose own angle may lean by a Hough step where
    writing crosses a broken line, leaving the line's ends at the top and bottom of the page).
    The lattice's places where no line was found (lines the threshold left in pieces) get a
    line at that angle: their pieces would read as 1s and 7s."""
    best = signed_angle(lines[[int(g.min()) for g in groups], 1].astype(np.float64))
    angle = float(np.median(best))
    chosen = []
    for g in groups:
        off = np.abs(signed_angle(lines[g, 1].astype(np.float64)) - angle)
        chosen.append(lines[int(g[int(np.argmin(off))])])  # (first of the nearest: most votes)
    step = finest_step(np.diff(centres))
    if step is None:
        return chosen
    h, w = shape
    theta = (angle if angle >= 0 else angle + np.pi) if upright else angle + np.pi / 2
    c, s = math.cos(theta), math.sin(theta)
    # the lattice's places: every step from where the lines found put it (their median offset)
    phase = float(np.median(centres - np.round((centres - centres[0]) / step) * step))
    # (a turned line can cross the box's corner and the middle outside the box)
    reach = (h if upright else w) / 2 * abs(math.tan(angle))
    first = phase % step - step * math.ceil(reach / step)
    for at in np.arange(first, (w if upright else h) + reach, step):
        if np.min(np.abs(centres - at)) < 0.25 * step:
            continue
        # the line at `theta` that crosses the middle row (upright) or column there
        rho = at * c + h / 2 * s if upright else w / 2 * c + at * s
        chosen.append(np.array([rho, theta], np.float32))
    return chosen


def finest_step(gaps: np.ndarray) -> float | None:
    """The finest step of a lattice with these gaps between its lines, or None: the smallest gap
    (at least GRID_MIN_SPACING) that GRID_EVEN_SHARE of `gaps` are within
    GRID_SPACING_TOLERANCE of whole multiples of, then measured on all of those gaps (a gap of
    24 px among gaps of 25 and 26 would put every fourth drawn line between two of the paper's)."""
    steps = np.sort(gaps[gaps >= GRID_MIN_SPACING])
    whole = whole_multiples(gaps, steps, GRID_SPACING_TOLERANCE)
    fits = np.flatnonzero(whole.sum(axis=1) >= GRID_EVEN_SHARE * len(gaps))
    if not fits.size:
        return None
    on = whole[fits[0]]
    return float(np.sum(gaps[on]) / np.sum(np.round(gaps[on] / steps[fits[0]])))


def draw_line(canvas: np.ndarray, rho: float, theta: float, thickness: int) -> None:
    """Draw the (rho, theta) line across all of `canvas` (uint8, in place) with value 1."""
    h, w = canvas.shape
    reach = 2 * (h + w)
    c, s = math.cos(theta), math.sin(theta)
    x0, y0 = rho * c, rho * s
    cv2.line(canvas, (round(x0 - reach * s), round(y0 + reach * c)),
             (round(x0 + reach * s), round(y0 - reach * c)), 1, thickness)


def strip_frame(roi: np.ndarray, min_sides: int = 3) -> bool:
    """Erase the sides of a box drawn around digits (a hollow component), in place.

    Each half of the box is one long line with short stubs (the other sides) attached, which
    is exactly what strip_horizontal_line recognises. Upright sides are erased only where at
    least `min_sides` of the four are found: a thin digit standing on a line (a "3" on an
    underline) is hollow too, and its curve passes for a side; it keeps it, and loses only the
    line under it.
    """
    top, bottom, sides = frame_sides(roi, min_sides)
    return top or bottom or sides > 0


def strip_box(roi: np.ndarray) -> bool:
    """Erase a box drawn round digits, in place, when its top, its bottom and both upright
    sides are found (see BOX_FILL); False, and `roi` as it was, otherwise."""
    if not closed_sides(roi):
        return False
    boxed = roi.copy()
    top, bottom, sides = frame_sides(boxed)
    if not (top and bottom and sides == 2):
        return False
    roi[...] = boxed
    return True


# A ring drawn round a number (an answer circled on a worksheet) tight enough to touch its
# digits joins them into one component, read as garbage ("4009", "0096" for a ringed "4096").
# A wide component (as for BOX_FILL) at least RING_TALL x the usual height whose outline lies on
# an ellipse (RING_ON of its points within RING_TOLERANCE of its radius) as wide and tall as the
# component, with ink left inside once the ring is erased, loses the ring: a band along the
# ellipse, its stroke's width and a pixel either side.
RING_TALL = 1.2
RING_ON = 0.9
RING_TOLERANCE = 0.06
RING_SPAN = 0.85   # the ellipse's axes are at least this x the component's width and height
RING_LEFT = 0.1    # ... and at least this share of the component's pixels is left inside
RING_MARGIN = 2    # px of the band beyond the ring's stroke
RING_MAX_WIDTH = 10  # px: the ring's stroke is searched for this far in from its outline
RING_INKED = 0.9   # ... and its middle is ink along at least this share of the ellipse
RING_MAX_ASPECT = 6.0  # a ring is at most this many times as wide as tall (round a number of
# 10 digits: about 5.6)


def strip_ring(roi: np.ndarray) -> bool:
    """Erase a ring drawn round digits (see RING_TALL), in place; False, and `roi` as it was,
    when it holds none."""
    h, w = roi.shape
    if w > RING_MAX_ASPECT * h or not round_all_sides(roi):
        return False  # (a ruled line with digits on it, not a ring round them)
    outlines, _ = cv2.findContours(roi.view(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = max(outlines, key=len).reshape(-1, 2).astype(np.float32) if outlines else None
    if outline is None or len(outline) < 20:
        return False
    (cx, cy), axes, angle = cv2.fitEllipse(outline)
    if min(axes) < RING_SPAN * h or max(axes) < RING_SPAN * w:
        return False
    turn = math.radians(angle)
    dx, dy = outline[:, 0] - cx, outline[:, 1] - cy
    u = (dx * math.cos(turn) + dy * math.sin(turn)) / (axes[0] / 2)
    v = (dy * math.cos(turn) - dx * math.sin(turn)) / (axes[1] / 2)
    if np.mean(np.abs(np.hypot(u, v) - 1) < RING_TOLERANCE) < RING_ON:
        return False
    # the outline is the ring's outer edge: its middle lies further in, where the distance
    # to the paper along the ellipse is greatest
    depth = cv2.distanceTransform(roi.view(np.uint8), cv2.DIST_L2, 3)
    best = (-1.0, 0, 0.0)
    for inward in range(RING_MAX_WIDTH):
        half = (max(1, round(axes[0] / 2) - inward), max(1, round(axes[1] / 2) - inward))
        points = cv2.ellipse2Poly((round(cx), round(cy)), half, round(angle), 0, 360, 3)
        inside_roi = ((points[:, 0] >= 0) & (points[:, 0] < w) & (points[:, 1] >= 0)
                      & (points[:, 1] < h))
        along = depth[points[inside_roi, 1], points[inside_roi, 0]]
        if along.size:
            best = max(best, (float(np.median(along)), inward, float(np.mean(along > 0))))
    middle, inward, inked = best
    if inked < RING_INKED:
        return False  # (no stroke all round: a ruled line with digits on it, say)
    width = max(1, round(2 * middle - 1))
    ellipse = ((float(cx), float(cy)), (float(axes[0]) - 2 * inward, float(axes[1]) - 2 * inward),
               float(angle))
    band = np.zeros(roi.shape, np.uint8)
    cv2.ellipse(band, ellipse, 1, width + RING_MARGIN)
    held = np.zeros(roi.shape, np.uint8)
    cv2.ellipse(held, ellipse, 1, -1)  # (filled)
    left = roi & ~band.view(bool)
    if np.count_nonzero(left & held.view(bool)) < RING_LEFT * np.count_nonzero(roi):
        return False  # (a ring with nothing inside)
    roi[...] = left
    return True


def edge_bands(roi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`roi`'s outermost columns on the left and right (BOX_SIDE_COLUMNS, or 1/40 of its
    width) and rows at the top and bottom (as many, or 1/20 of its height)."""
    h, w = roi.shape
    across, down = max(BOX_SIDE_COLUMNS, w // 40), max(BOX_SIDE_COLUMNS, h // 20)
    return roi[:, :across], roi[:, w - across:], roi[:down], roi[h - down:]


def round_all_sides(roi: np.ndarray) -> bool:
    """Does `roi` hold ink at the middle third of each of its four sides, as a ring (or a box)
    round something does? A cheap first test for strip_ring."""
    h, w = roi.shape
    left, right, top, bottom = edge_bands(roi)
    rows, cols = slice(h // 3, h - h // 3), slice(w // 3, w - w // 3)
    return bool(left[rows].any() and right[rows].any() and top[:, cols].any()
                and bottom[:, cols].any())


def closed_sides(roi: np.ndarray) -> bool:
    """Are `roi`'s outermost columns (edge_bands) on both sides inked down most of its height
    (BOX_SIDE_SHARE), as a box's sides are? (Two ruled lines joined by a digit between them
    have only the lines' ends there.)"""
    left, right, _, _ = edge_bands(roi)
    return bool(left.any(axis=1).mean() >= BOX_SIDE_SHARE
                and right.any(axis=1).mean() >= BOX_SIDE_SHARE)


def frame_sides(roi: np.ndarray, min_sides: int = 3) -> tuple[bool, bool, int]:
    """strip_frame's work -> (top found, bottom found, upright sides erased)."""
    h, w = roi.shape
    top = strip_horizontal_line(roi[: h // 2])
    bottom = strip_horizontal_line(roi[h // 2:])
    upright, sides = roi.copy(), 0
    for half in (np.s_[:, : w // 2], np.s_[:, w // 2:]):
        t = np.ascontiguousarray(upright[half].T)
        if strip_horizontal_line(t):
            upright[half] = t.T
            sides += 1
    if top + bottom + sides >= min_sides:
        roi[...] = upright
        return top, bottom, sides
    return top, bottom, 0


def _line_candidates(comps: Components, typical_height: float):
    w, h, a = comps.boxes[:, 2], comps.boxes[:, 3], comps.areas
    min_vertical = max(20, 2.5 * typical_height) if typical_height > 0 else np.inf
    wide = (w >= 20) & (w >= 1.5 * h)
    tall = (h >= min_vertical) & (h >= 1.5 * w)
    hollow = (w >= 40) & (h >= 40) & (a <= 0.12 * w * h)
    return wide, tall, hollow


# A box drawn tight round a number, its lines 4-5 px thick, fills more of its box than a
# hollow component (0.12): 0.14 for a 245 x 90 box round 44 px digits. A wide component that
# fills at most BOX_FILL of its box, with a side at each end (BOX_SIDE_COLUMNS), whose top,
# bottom and both upright sides strip_frame finds, loses them all (its sides read as 1s:
# "14096" for a boxed "4096"). An underline with digits on it has no top; two ruled lines
# joined by a 1 between them have no sides at their ends (a cheque's last 1, two synthetic
# pages' 1s went without that test).
BOX_FILL = 0.25
BOX_SIDE_COLUMNS = 3   # ... and whose outermost columns (at least this many, or 1/40 of its
BOX_SIDE_SHARE = 0.6   # width) are inked down this share of its height on both sides


def strip_lines(comps: Components, typical_height: float = 0.0,
                contrast: np.ndarray | None = None, found: list | None = None) -> Components:
    """Erase ruled lines, underlines and box sides (long thin components); returns the
    components with every line-bearing one replaced by what is left of it. `comps.labels` is
    modified in place. With `contrast` (the ink contrast map the components were found in),
    strokes much stronger than the line are given back where it was cleared under a digit
    (see keep_strong_strokes). With a list `found`, each long straight near-horizontal line
    cleared is appended to it as (coefficients (slope, offset) of its centre row over the
    column, thickness), page pixels: for strip_line_stubs.

    Near-horizontal lines are recognised by their own shape (see strip_horizontal_line). A
    vertical one must also be 2.5 `typical_height`s (the usual digit height) long, so that a
    tall thin '1' is never taken for a box side; a box (a hollow component) loses all its sides;
    squared or ruled paper and a comb field (paper_lines, strip_comb), tried first, lose all
    their lines, and with `contrast` a paper's lines also leave the other components
    (paper_lines_elsewhere).
    """
    if len(comps) == 0:
        return comps
    wide, tall, hollow = _line_candidates(comps, typical_height)
    a_frame = wide & (comps.areas <= BOX_FILL * comps.boxes[:, 2] * comps.boxes[:, 3])
    candidates = np.nonzero(wide | tall | hollow)[0]
    if candidates.size == 0:
        return comps
    labels = comps.labels
    stripped: list[tuple[int, np.ndarray]] = []  # (index, what is left of the component)
    paper: list[tuple[list, int]] = []  # a paper's lines (image coordinates), their width
    strong_levels: list[float] = []
    for k in candidates:
        x, y, w, h = map(int, comps.boxes[k].tolist())
        sl = (slice(y, y + h), slice(x, x + w))
        own = comps.own_mask(k)
        roi = own.copy()
        lines = paper_lines(roi)
        grid = lines is not None
        if grid:
            paper.append((shifted_lines(lines, x, y), erase_lines(roi, lines)))
        changed = grid or strip_comb(roi)
        if not changed and a_frame[k]:
            changed = strip_box(roi) or (h >= RING_TALL * typical_height and strip_ring(roi))
        if not changed and wide[k]:
            fits: list | None = None if found is None else []
            changed = (strip_horizontal_line(roi, fits=fits)
                       or strip_covered_line(roi, typical_height))
            line = straight_line(*fits[0], x, y, typical_height) if fits else None
            if line is not None:
                found.append(line)
        elif not changed and tall[k]:
            t = np.ascontiguousarray(roi.T)
            changed = strip_horizontal_line(t)
            roi = t.T
        if not changed and hollow[k]:
            changed = strip_frame(roi)
        if not changed and wide[k]:
            changed = strip_covered_line(roi, typical_height, apart=True)
        if changed:
            if contrast is not None and grid:
                strong_levels.append(keep_strokes_across_grid(roi, own, contrast[sl]))
            elif contrast is not None:
                keep_strong_strokes(roi, own, contrast[sl])
            labels[sl][own & ~roi] = 0
            stripped.append((int(k), roi))
    if not stripped:  # (a paper found is always stripped)
        return comps
    if not (paper and contrast is not None):
        return relabel_stripped(comps, stripped)
    strong = min(strong_levels)
    stripped += paper_lines_elsewhere(comps, paper, contrast, strong, {k for k, _ in stripped})
    return without_paper_pieces(relabel_stripped(comps, stripped), contrast, strong)


# On a page whose paper was found, a component whose strongest pixels (this percentile) are
# weaker than the writing given back across the paper's lines (keep_strokes_across_grid's
# level) is a piece of the paper: lines that converge in perspective, or that the threshold
# left in pieces, are not where the lines found put them, and each piece read as a 1 (a
# squared page seen with a 5 % keystone: rows of 1s on 6 of 6 probe pages, now none).
PAPER_PIECE_PERCENTILE = 90


def without_paper_pieces(comps: Components, contrast: np.ndarray, strong: float) -> Components:
    """`comps` less the pieces of a found paper (see PAPER_PIECE_PERCENTILE), which leave
    `comps.labels` too."""
    keep = np.ones(len(comps), bool)
    for k in range(len(comps)):
        x, y, w, h = map(int, comps.boxes[k].tolist())
        own = comps.own_mask(k)
        window = contrast[y:y + h, x:x + w]
        if not own.any() or np.percentile(window[own], PAPER_PIECE_PERCENTILE) < strong:
            keep[k] = False
            comps.labels[y:y + h, x:x + w][own] = 0
    return comps if keep.all() else comps.subset(keep)


def paper_lines_elsewhere(comps: Components, paper: list[tuple[list, int]],
                          contrast: np.ndarray, strong: float, done: set[int]) -> list:
    """The paper's lines (found in its grid's component) cleared from the other components too,
    whose pixels on them weaker than `strong` (writing is given back above it) go: a line's
    piece that the threshold parted from the grid but joined to a digit stays on it as a tick,
    or, cut off, reads as a 1. `comps.labels` is changed in place. -> (index, what is left)
    of each component that lost pixels."""
    drawn = np.zeros(comps.labels.shape, np.uint8)
    for lines, width in paper:
        for line in lines:
            draw_line(drawn, *map(float, line), width)
    out = []
    for k in range(len(comps)):
        if k in done:
            continue
        x, y, w, h = map(int, comps.boxes[k].tolist())
        sl = (slice(y, y + h), slice(x, x + w))
        on_line = drawn[sl].view(bool)
        if not on_line.any():
            continue
        own = comps.own_mask(k)
        gone = own & on_line & (contrast[sl] < strong)
        if gone.any():
            comps.labels[sl][gone] = 0
            out.append((k, own & ~gone))
    return out


# A light ruled line under dark writing: where the band along the line was cleared under a
# digit, a pixel this many times the line's own contrast is the digit's stroke (a small 6's
# loop or a 2's foot lying on the line), not the line.
STRONG_STROKE_RATIO = 1.6


# A full stop written on a faint rule was cleared with it (in a column where nothing else is
# left, keep_strong_strokes gives nothing back), and the group gap around it read as a space
# ("3 270" for "3.270"); a digit's foot lying along the rule past its other strokes lost its
# end the same way. A blob of cleared pixels this many times the line's contrast, of at least
# DOT_MIN_AREA pixels and 2 rows, no wider than DOT_MAX_ASPECT times its height, comes back.
# Synthetic tuning pages 85.5 -> 85.8 % (5009, 5363 fixed, none broken), CER 0.81 -> 0.79 %;
# checks 6000-6399 82.0 -> 82.2 %, 1000-1199 78.5 -> 79.5 %; ORAND training the same.
DOT_MIN_AREA = 4
DOT_MAX_ASPECT = 2.0
# A blob that would join two strokes comes back only if one of them is much shorter than the
# two together (under this share of their height): the stem and loop of a 6 the rule parted
# (benchmark pages 1093 and 1137 read "10" for "6" without it), not the feet of two digits
# side by side, each as tall as both (speed page 1040: a "1" and a "5" came back as one unit,
# 16 more crops to read for the same reading; wider than tall, the 6 of 1093 is too).
DOT_JOIN_TALL = 0.75


def box_around(mask: np.ndarray):
    """Slices of `mask`'s set pixels' box, one pixel wider each side (clipped to the mask):
    what those pixels touch lies inside it. `mask` must have a set pixel."""
    x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
    return np.s_[max(0, y - 1): y + h + 1, max(0, x - 1): x + w + 1]


def keep_dots(roi: np.ndarray, strong: np.ndarray) -> None:
    """Give back to `roi`, in place, the compact blobs of `strong` (cleared pixels much
    stronger than the line, where nothing else is left): full stops written on the rule, and
    the ends of strokes lying along it, but no blob that would join two digits side by side
    (joins_side_by_side)."""
    if not strong.any():
        return
    box = box_around(strong)  # (one pixel wider: the strokes a blob would touch)
    n, part, stats, _ = label_components(np.ascontiguousarray(strong[box]).view(np.uint8))
    width, height, area = stats[:, 2], stats[:, 3], stats[:, 4]
    dot = (area >= DOT_MIN_AREA) & (height >= 2) & (width <= DOT_MAX_ASPECT * height)
    dot[0] = False
    if dot.any():
        dot &= ~joins_side_by_side(part, n, roi, box)
    if dot.any():
        np.logical_or(roi[box], dot[part], out=roi[box])


def joins_side_by_side(part: np.ndarray, n: int, roi: np.ndarray, box) -> np.ndarray:
    """Per label of `part` (n labels over roi[box], 0 none): would that blob join two strokes
    of `roi` each nearly as tall as the two together (DOT_JOIN_TALL)? (Of three or more it
    touches, the ones with the highest and lowest label are judged.)"""
    # (label_components: OpenCV's own statistics pass costs 0.6 ms on a page-wide ruled line's
    # box; its sparse path gathers them from the ink pixels)
    k, strokes, stats, _ = label_components(np.ascontiguousarray(roi).view(np.uint8))
    if k <= 2:
        return np.zeros(n, bool)  # (at most one stroke: nothing to join)
    # the highest and lowest stroke label in each pixel's 3 x 3 neighbourhood (none: 0 for the
    # highest, k for the lowest); a blob touches two strokes where the two differ
    ring = np.ones((3, 3), np.uint8)
    near = strokes[box]
    highest = cv2.dilate(near.astype(np.float32), ring)
    lowest = cv2.erode(np.where(near > 0, near, k).astype(np.float32), ring)
    blob = part > 0
    top = np.zeros(n, np.float32)
    bottom = np.full(n, float(k), np.float32)
    np.maximum.at(top, part[blob], highest[blob])
    np.minimum.at(bottom, part[blob], lowest[blob])
    two = (top > 0) & (bottom < k) & (top != bottom)
    a, b = top.astype(np.intp), np.minimum(bottom, k - 1).astype(np.intp)
    top_row = np.minimum(stats[a, 1], stats[b, 1])
    bottom_row = np.maximum(stats[a, 1] + stats[a, 3], stats[b, 1] + stats[b, 3])
    return two & (np.minimum(stats[a, 3], stats[b, 3]) >= DOT_JOIN_TALL * (bottom_row - top_row))


def at_least(values: np.ndarray, level: float) -> np.ndarray:
    """values >= level for integer `values` (uint8 contrast), compared with the whole number
    ceil(level): the same pixels, ~8x faster than numpy's comparison with a float."""
    return values >= math.ceil(level)


def keep_strong_strokes(roi: np.ndarray, own: np.ndarray, contrast: np.ndarray) -> None:
    """Give back to `roi` (what is left of component mask `own` once its line was cleared) the
    cleared pixels under what is left that are much stronger ink than the line, and the
    compact blobs of such pixels where nothing is left (keep_dots), in place.

    The line's contrast is taken from the cleared columns where nothing is left (line only);
    a printed line as dark as the writing gives nothing back."""
    left_cols = roi.any(0)
    if not left_cols.any():
        return  # (nothing left: a ruled line alone)
    cleared = own & ~roi
    line_only = cleared & ~left_cols
    if np.count_nonzero(line_only) < 8:
        return
    line_level = order_stats.median(contrast[line_only])
    stronger = at_least(contrast, max(1.0, STRONG_STROKE_RATIO * line_level))
    dots = line_only & stronger
    strong = cleared & left_cols & stronger
    if strong.any():
        # only what touches the strokes that are left: no loose bits of line come back
        # (labelled within the strong pixels' box: a ruled line's box is page-wide)
        box = box_around(strong)
        sub_strong, sub_roi = strong[box], roi[box]
        n, part = cv2.connectedComponents(sub_strong.view(np.uint8), connectivity=8)
        beside = cv2.dilate(sub_roi.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
        touching = np.zeros(n, bool)
        touching[part[beside & sub_strong]] = True
        touching[0] = False
        np.logical_or(sub_roi, touching[part], out=sub_roi)
    # the dots last: given back first, a dot at a digit's foot made the stretch of rule beside
    # it "touching" too, and two digits' feet came back joined
    keep_dots(roi, dots)


def keep_strokes_across_grid(roi: np.ndarray, own: np.ndarray, contrast: np.ndarray) -> float:
    """Give back to `roi` (what is left of component mask `own` once strip_grid cleared its
    lines) every cleared pixel much stronger ink than the lines (STRONG_STROKE_RATIO x the
    cleared pixels' median: most of them are the lines'), in place -> that level. Unlike a
    ruled line's, a grid's lines cross the writing both ways, so no row or column is the
    line's alone."""
    cleared = own & ~roi
    if not cleared.any():
        return 255.0
    level = max(1.0, STRONG_STROKE_RATIO * order_stats.median(contrast[cleared]))
    np.logical_or(roi, cleared & at_least(contrast, level), out=roi)
    return level


def relabel_stripped(comps: Components, stripped: list[tuple[int, np.ndarray]],
                     min_area: int = 3) -> Components:
    """Components after some lost their lines: what is left of each stripped one (a mask over
    its box) may have fallen apart, so it is labelled again inside its box only, under new label
    values; the untouched components keep theirs (no page-wide relabelling). `comps.labels` is
    modified in place. The result is in page raster order of the boxes (top, then left)."""
    labels = comps.labels
    next_id = 0  # the first free label value, found (a page-wide max) only when needed
    keep = np.ones(len(comps), bool)
    ids, boxes, areas = [], [], []
    for k, rest in stripped:
        keep[k] = False
        rest = np.ascontiguousarray(rest)
        # label only the box of what is left: usually a few digits' feet, or nothing at all
        left, top, width, height = cv2.boundingRect(rest.view(np.uint8))
        if width == 0:
            continue
        rest = rest[top:top + height, left:left + width]
        x, y = int(comps.boxes[k, 0]) + left, int(comps.boxes[k, 1]) + top
        n, part_labels, stats, _ = label_components(rest.view(np.uint8))
        if n <= 1:
            continue
        next_id = next_id or max(int(labels.max()), int(comps.ids.max())) + 1
        sl = (slice(y, y + rest.shape[0]), slice(x, x + rest.shape[1]))
        labels[sl][rest] = part_labels[rest] + (next_id - 1)
        big = np.nonzero(stats[1:, cv2.CC_STAT_AREA] >= min_area)[0] + 1
        ids.append(big + (next_id - 1))
        boxes.append(stats[big, :4].astype(np.int64) + np.array([x, y, 0, 0]))
        areas.append(stats[big, cv2.CC_STAT_AREA].astype(np.int64))
        next_id += n - 1
    kept = comps.subset(keep)
    all_boxes = np.concatenate([kept.boxes, *boxes]) if boxes else kept.boxes
    order = np.lexsort((all_boxes[:, 0], all_boxes[:, 1]))
    return Components(labels, np.concatenate([kept.ids, *ids])[order], all_boxes[order],
                      np.concatenate([kept.areas, *areas])[order], comps.faint)


# ---- faint ruled lines ------------------------------------------------------------------------
# A light ruled line under darker writing reaches the high threshold nowhere: it breaks into
# faint dashes that hysteresis leaves out (Components.faint), except where it touches a digit,
# whose strong ink seeds the stretch of line joined to it. Those stubs are too short to look
# like a line on their own, yet they turn a 9 into a 1 and a 7 into a 3, and join digits
# across a space. The dashes show where the line runs: a straight chain of them is fitted, and
# the band along it is cleared from the components it crosses, where the line is alone in its
# column (see clear_covered_line).
DASH_MAX_THICK = 0.15   # (x usual digit height, at least 2.5 px) a dash's ink per column ...
DASH_MIN_W = 0.25       # ... its width (at least 6 px and twice its height)
DASH_MAX_H = 0.35       # ... its height (at least 4 px: a dash of a tilted line is taller)
FAINT_LINE_DASHES = 4   # a faint line is at least this many dashes in a straight chain ...
FAINT_LINE_SPAN = 3.0   # ... spanning this many digit heights
FAINT_LINE_MARGIN = 1.0  # (x digit height) the line is cleared this far past its end dashes
FAINT_PAIR_REACH = (1.0, 4.0)  # (x digit height) dashes this far apart define a trial line
FAINT_PAIR_NEAREST = 4  # ... each dash with its nearest ones only
MAX_DASHES = 200        # the widest ones: a textured page has thousands of faint specks
MAX_FAINT_LINES = 12


def faint_dashes(faint: np.ndarray, typical_height: float) -> np.ndarray:
    """Rows of `faint` (x, y, w, h, area) that are flat thin dashes, the widest MAX_DASHES."""
    w, h = faint[:, 2], faint[:, 3]
    thick = faint[:, 4] / np.maximum(w, 1)
    dash = ((thick <= max(2.5, DASH_MAX_THICK * typical_height)) & (w >= 2 * h)
            & (w >= max(6.0, DASH_MIN_W * typical_height)) & (h <= max(4.0, DASH_MAX_H * typical_height)))
    rows = np.nonzero(dash)[0]
    if rows.size > MAX_DASHES:
        rows = rows[np.argsort(-w[rows], kind="stable")[:MAX_DASHES]]
    return faint[rows]


def trial_pairs(cx: np.ndarray, cy: np.ndarray, typical_height: float) -> np.ndarray:
    """P x 2 indices (i, j) of dash centres that may lie on one line: j right of i within
    FAINT_PAIR_REACH, no steeper than a ruled line of a tilted page; each i with its nearest."""
    near, far = (r * typical_height for r in FAINT_PAIR_REACH)
    dx = cx[None, :] - cx[:, None]
    ok = (dx >= near) & (dx <= far) & (np.abs(cy[None, :] - cy[:, None]) <= MAX_LINE_SLOPE * dx)
    rank = np.argsort(np.where(ok, dx, np.inf), axis=1)[:, :FAINT_PAIR_NEAREST]
    i = np.repeat(np.arange(cx.size), rank.shape[1])
    j = rank.ravel()
    keep = ok[i, j]
    return np.stack([i[keep], j[keep]], axis=1)


def faint_lines(faint: np.ndarray, typical_height: float) -> list[tuple[np.ndarray, float, float, float]]:
    """Straight chains of faint dashes -> [(line coefficients (slope, offset) of y over x,
    thickness, first column, last column)], the best supported first."""
    if typical_height <= 0 or len(faint) < FAINT_LINE_DASHES:
        return []
    dashes = faint_dashes(faint, typical_height)
    if len(dashes) < FAINT_LINE_DASHES:
        return []
    x, y, w, h, area = (dashes[:, k].astype(np.float64) for k in range(5))
    cx, cy, thick = x + w / 2, y + h / 2, area / w
    left, right = x, x + w
    pairs = trial_pairs(cx, cy, typical_height)
    if not len(pairs):
        return []
    i, j = pairs[:, 0], pairs[:, 1]
    slope = (cy[j] - cy[i]) / (cx[j] - cx[i])
    tol = np.maximum(1.5, 0.5 * (thick[i] + thick[j]))
    # on[p, k]: dash k lies on the line through pair p (RANSAC over the trial pairs, all at once)
    on = np.abs(cy[None, :] - (cy[i, None] + slope[:, None] * (cx[None, :] - cx[i, None]))) <= tol[:, None]
    on_weight = on.astype(np.float32)
    free = np.ones(len(dashes), bool)
    lines = []
    while len(lines) < MAX_FAINT_LINES:
        best = on[int(np.argmax(on_weight @ np.where(free, w, 0.0).astype(np.float32)))] & free
        if (best.sum() < FAINT_LINE_DASHES
                or right[best].max() - left[best].min() < FAINT_LINE_SPAN * typical_height):
            break
        coef = np.polyfit(cx[best], cy[best], 1, w=w[best])
        margin = FAINT_LINE_MARGIN * typical_height
        lines.append((coef, order_stats.median(thick[best]), float(left[best].min() - margin),
                      float(right[best].max() + margin)))
        free &= ~best
        on_weight[~(free[i] & free[j])] = 0.0  # trial pairs through used dashes are done
    return lines


def clear_line_alone(roi: np.ndarray, cols: np.ndarray, centre_rows: np.ndarray,
                     thickness: float, min_run: int = 1, whole_column: bool = False) -> None:
    """Clear the band of a line (its centre row in each of `cols` of the mask `roi`) where the
    line is alone in its column: no ink just above or below the band, and no more in it than
    the line's thickness (a stroke crossing or lying along it keeps its column); with
    `whole_column`, no ink anywhere else in the column either; only in runs of at least
    `min_run` such columns. In place."""
    h = roi.shape[0]
    half = int(np.ceil(thickness / 2 + 1.0))
    rows = centre_rows[:, None] + np.arange(-half - 1, half + 2)[None, :]  # band, a row each side
    inside = (rows >= 0) & (rows < h)  # rows outside the mask read as paper
    ink = roi[np.clip(rows, 0, h - 1), cols[:, None]] & inside
    band = ink[:, 1:-1].sum(axis=1)
    clear_edges = ~ink[:, 0] & ~ink[:, -1] & (band > 0)
    alone = clear_edges & (band <= thickness + 1)
    alone |= clear_edges & ragged_edge(alone)
    if whole_column:
        alone &= np.count_nonzero(roi[:, cols], axis=0) == band
    if min_run > 1:
        alone = long_runs(alone, min_run)
    if alone.any():
        clear_band(roi, cols[alone], centre_rows[alone], half)


# A column of a line a pixel or two thicker than its neighbours (a sloped line's stair step,
# or grain on its edge), alone in its band otherwise, between columns where the line is
# alone, is the line's own: kept whole, each became a 1-pixel sliver as tall as the line,
# and a row of them on a thick ruled line in shadow read as lines of 1s.
RAGGED_COLUMNS = 2


def ragged_edge(alone: np.ndarray) -> np.ndarray:
    """Per column: in a run of at most RAGGED_COLUMNS columns that are not `alone`, with an
    `alone` column on each side?"""
    alone_at = np.nonzero(alone)[0]
    if alone_at.size == 0:
        return np.zeros_like(alone)
    out = ~alone & ~long_runs(~alone, RAGGED_COLUMNS + 1)
    out[:alone_at[0]] = False  # a run at either end has no alone column beyond it
    out[alone_at[-1] + 1:] = False
    return out


def strip_faint_lines(comps: Components, typical_height: float,
                      contrast: np.ndarray | None = None) -> Components:
    """Erase the stubs of faint ruled lines (found from their dashes in `comps.faint`) from
    the components they touch; see the note above FAINT_LINE_DASHES. `comps.labels` is
    modified in place. With `contrast`, strokes much stronger than the line are given back
    (keep_strong_strokes)."""
    lines = faint_lines(comps.faint, typical_height) if len(comps) else []
    if not lines:
        return comps
    boxes = comps.boxes.astype(np.float64)
    masks: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # index -> (what is left, own mask)
    for coef, thickness, first, last in lines:
        crossed, a, b = crossed_boxes(boxes, coef, thickness, first, last)
        for k in np.nonzero(crossed)[0]:
            x, y = (int(v) for v in comps.boxes[k, :2])
            cols = np.arange(int(np.ceil(a[k])), int(b[k]) + 1)
            rows = np.rint(line_rows(coef, cols)).astype(np.int64)
            if k not in masks:
                own = comps.own_mask(k)
                masks[k] = (own.copy(), own)
            clear_line_alone(masks[k][0], cols - x, rows - y, thickness)
    return strip_cleared(comps, masks, contrast)


def line_rows(coef: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """The row of a line (coefficients (slope, offset) of its centre row over the column, in
    pixel-centre coordinates) in each of columns `cols` (pixel indices)."""
    return coef[0] * (cols + 0.5) + coef[1] - 0.5


def crossed_boxes(boxes: np.ndarray, coef: np.ndarray, thickness: float,
                  first: float = -np.inf, last: float = np.inf):
    """Which of `boxes` (N x 4 float) the band of a line (see line_rows; `thickness`), from
    column `first` to `last`, crosses -> (bool per box, and the first and last column of the
    line in each box). The line is straight: its rows at those columns bound it there."""
    x0, y0 = boxes[:, 0], boxes[:, 1]
    x1, y1 = x0 + boxes[:, 2] - 1, y0 + boxes[:, 3] - 1
    a, b = np.maximum(x0, first), np.minimum(x1, last)
    ya, yb = line_rows(coef, a), line_rows(coef, b)
    reach = thickness / 2 + 2.0
    crossed = (a <= b) & (np.maximum(ya, yb) + reach >= y0) & (np.minimum(ya, yb) - reach <= y1)
    return crossed, a, b


def strip_cleared(comps: Components, masks: dict, contrast: np.ndarray | None) -> Components:
    """`comps` with each component k of `masks` (k -> (what is left of it, its own mask))
    replaced by what is left, strong strokes given back first (keep_strong_strokes) when
    `contrast` is given; `comps.labels` is modified in place."""
    stripped = []
    for k, (roi, own) in masks.items():
        if np.array_equal(roi, own):
            continue
        x, y, w, h = map(int, comps.boxes[k].tolist())
        if contrast is not None:
            keep_strong_strokes(roi, own, contrast[y:y + h, x:x + w])
        comps.labels[y:y + h, x:x + w][own & ~roi] = 0
        stripped.append((int(k), roi))
    return relabel_stripped(comps, stripped) if stripped else comps


# ---- stubs of ruled lines found elsewhere on the page -----------------------------------------
# A ruled line falls apart where a shadow or a highlight crosses it or the threshold thins it;
# the pieces that are not joined to writing go as lines of their own, but a piece under a few
# digits is joined to them, and is too short next to them to look like a line. Left on, it
# joined the digits across a space ("94153 4" read "941534") and came into their crops. The
# lines strip_lines found are followed across the page, and such a stub is cleared where the
# line is alone in its column, nothing else of the component above or below it
# (clear_line_alone), for at least STUB_MIN_RUN of the component's height (held between half
# the usual digit height and all of it) in a row: a digit's loop or foot lying on the line is
# shorter, and keeps its ink (with any run cleared, a 0 lost its bottom and a 6 its loop; with
# the component's own height, the loop of a small 6 split off by the line lost a side).
# Synthetic pages 2000-2999: 5 more read right (814 -> 819), none fewer; fresh 3000-4999 +7;
# seeds 0-199 and 1000-1199, ORAND, forms and words page for page the same.
STUB_MIN_RUN = 0.5
STUB_MAX_RESIDUAL = 1.0  # (x thickness, at least 1 px) median distance of a cleared line's
STUB_MIN_LENGTH = 2.5    # centres from the straight line fitted, over at least this many
# usual digit heights (and 20 px): a long straight line, not a box side or a bent stroke


def straight_line(xs: np.ndarray, centres: np.ndarray, thickness: float, x: int, y: int,
                  typical_height: float) -> tuple[np.ndarray, float] | None:
    """A line strip_horizontal_line cleared (its thin columns `xs` and their `centres`, in the
    box of its component at x, y) as (coefficients (slope, offset) of its centre row over the
    column, thickness) in page pixels; None unless it is long, thin and straight."""
    if xs.size < max(20.0, STUB_MIN_LENGTH * typical_height):
        return None
    if thickness > max(3.0, 0.25 * typical_height):
        return None
    cols, rows = xs + (x + 0.5), centres + (y + 0.5)
    # (least squares by hand: np.polyfit costs ~0.1 ms a call, a ruled page has a dozen lines)
    slope = order_stats.slope(cols, rows)
    coef = np.array([slope, float(rows.mean()) - slope * float(cols.mean())])
    residual = order_stats.median(np.abs(coef[0] * cols + coef[1] - rows))
    if residual > STUB_MAX_RESIDUAL * max(1.0, thickness):
        return None
    return coef, float(thickness)


def strip_line_stubs(comps: Components, lines: list, typical_height: float,
                     contrast: np.ndarray | None = None) -> Components:
    """Erase the stubs of the ruled lines `lines` (strip_lines' `found`) left joined to other
    components anywhere along them; see the note above STUB_MIN_RUN. `comps.labels` is
    modified in place."""
    if not lines or not len(comps):
        return comps
    boxes = comps.boxes.astype(np.float64)
    min_runs = STUB_MIN_RUN * np.clip(boxes[:, 3], 0.5 * typical_height, typical_height)
    wide_enough = boxes[:, 2] >= min_runs
    masks: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # index -> (what is left, own mask)
    for coef, thickness in lines:
        crossed, _, last_cols = crossed_boxes(boxes, coef, thickness)  # (followed page-wide)
        for k in np.nonzero(crossed & wide_enough)[0]:
            x, y = (int(v) for v in comps.boxes[k, :2])
            cols = np.arange(x, int(last_cols[k]) + 1)
            rows = np.rint(line_rows(coef, cols)).astype(np.int64)
            min_run = max(2, int(round(min_runs[k])))
            if not stub_along(comps.labels, comps.ids[k], cols, rows, min_run):
                continue  # (most digits on a ruled page stand on its lines: no mask for them)
            if k not in masks:
                own = comps.own_mask(k)
                masks[k] = (own.copy(), own)
            clear_line_alone(masks[k][0], cols - x, rows - y, thickness, min_run,
                             whole_column=True)
    return strip_cleared(comps, masks, contrast)


def stub_along(labels: np.ndarray, label: int, cols: np.ndarray, rows: np.ndarray,
               min_run: int) -> bool:
    """Is component `label` inked on the line through (cols, rows), or a row off it, along
    at least `min_run` columns in a row?"""
    band = np.clip(rows + _ROW_AND_NEIGHBOURS, 0, labels.shape[0] - 1)
    on = (labels[band, cols] == label).any(0)
    return bool(np.count_nonzero(on) >= min_run and long_runs(on, min_run).any())


_ROW_AND_NEIGHBOURS = np.array([[-1], [0], [1]])


def remove_long_lines(mask: np.ndarray, typical_height: float = 0.0) -> np.ndarray:
    """Bool mask version of `strip_lines`."""
    comps = find_components(mask, min_area=1)
    return strip_lines(comps, typical_height).mask()


# A thin component whose darker surroundings are hardly lighter than its own "ink" (relative to
# how much lighter its lighter surroundings are) is a step in brightness, not a stroke.
STEP_EDGE_RATIO = 0.25
# ... unless its darkest tenth is clearly darker than even the dark side: a '1' drawn right
# along a shadow's edge (gray levels; real edges measured 0-13 below, a pencilled 1 51)
STEP_EDGE_INK_GAP = 24
THIN_ASPECT = 3.0  # only components at least this many times longer than wide are tested,
MIN_EDGE_LENGTH = 8  # ... and this long (working px): shorter ones are specks, dropped anyway
# A shadow's edge slanting across the page leaves strips whose upright boxes are nearly square:
# they read as sure 1s, a column of them down a blank sheet. A component filling at most this
# share of its box is measured along its own axis (its second moments) instead, for ~0.2 ms
# a page (drop_step_edges 0.07 -> 0.25 ms on the 40 speed pages).
# Blank sheets photographed like the synthetic pages: 19 -> 12 of 300 read anything;
# synthetic 2000-2999 839 -> 841, 3000-3999 845 -> 847 (phantom lines along shadows gone),
# 4000-4999 829 -> 828 (a 5's bar lying along a shadow's edge went with it), 5000-5599 and
# 6000-6999, 1000-1199, 0-199, ORAND, forms, words, signs, times, pairs, printed the same.
EDGE_SPARSE = 0.35


def thin_along_its_axis(mask: np.ndarray) -> bool:
    """Is the component (its bool mask) THIN_ASPECT times longer than wide along its own
    axis, however it slants? (From its second moments: the spread along its long axis over
    that across it is the square of that ratio for a straight strip.)"""
    m = cv2.moments(mask.view(np.uint8), binaryImage=True)
    mean = (m["mu20"] + m["mu02"]) / 2
    half_gap = math.hypot((m["mu20"] - m["mu02"]) / 2, m["mu11"])
    return mean + half_gap >= THIN_ASPECT ** 2 * max(mean - half_gap, 1e-6)


def beside_long_sides(ring: np.ndarray, window, box) -> np.ndarray:
    """The part of `ring` (ring_around's, over `window`) beside the long sides of `box`: the
    rows the box spans for a tall box, its columns for a wide one. A shadow's edge runs along
    its strip, dark on one long side and light on the other; past the strip's ends lie only
    the strip's own ends. A thin '1' standing with its foot on a hard shadow's edge had the
    shadow under its foot in its ring, and was dropped as an edge (synthetic page 2883: "31"
    read "3")."""
    x, y, w, h = (int(v) for v in box)
    ring = ring.copy()
    if h >= w:
        top = y - window[0].start
        ring[:top] = False
        ring[top + h:] = False
    else:
        left = x - window[1].start
        ring[:, :left] = False
        ring[:, left + w:] = False
    return ring


# Show-through: on thin paper, or held up against the light, the writing on the back of the
# sheet shows through, mirrored, faint and soft (the paper spreads it), and read as a line of
# digits of its own ("15 4288" under "52 7190"). Faint writing on the front is as sharp as the
# rest of the page (pencil beside ink, 0.3 of its contrast: the same steepness). A component of
# digit size whose highest contrast is under SHOW_FAINT x the page's writing's (the median over
# its strongest components) and whose edges are under SHOW_SOFT x as steep (stroke_steepness)
# goes. Camera blur softens the whole page alike.
SHOW_FAINT = 0.4
SHOW_SOFT = 0.6
SHOW_REFERENCE = 8  # the page's strongest components (of digit size) its steepness is read from,
SHOW_STRONG = 0.6   # ... those whose peak contrast is at least this x the page's highest
SHOW_MIN_HEIGHT = 0.4  # (x the usual height) components smaller than this are not asked about


def stroke_steepness(comps: Components, k: int, ink: np.ndarray) -> float:
    """How steep component k's edges are: the 95th percentile of the ink map's gradient round
    it over the 90th percentile of its pixels' contrast."""
    window, own, _ = ring_around(comps.labels, comps.ids[k], comps.boxes[k])
    values = ink[window]
    inked = values[own]
    contrast = float(np.partition(inked, int(0.9 * (inked.size - 1)))[int(0.9 * (inked.size - 1))])
    patch = values.astype(np.float32)
    gradient = cv2.magnitude(cv2.Sobel(patch, cv2.CV_32F, 1, 0, ksize=3),
                             cv2.Sobel(patch, cv2.CV_32F, 0, 1, ksize=3)).ravel()
    at = int(0.95 * (gradient.size - 1))
    # (a 3 x 3 Sobel weighs a step 8 times)
    return float(np.partition(gradient, at)[at]) / 8.0 / max(contrast, 1.0)


def drop_show_through(comps: Components, ink: np.ndarray, typical_height: float) -> Components:
    """Remove the faint, soft components of a page of sharp writing: the back of the sheet
    showing through (see SHOW_FAINT)."""
    if len(comps) < 3 or typical_height <= 0:
        return comps
    sized = np.flatnonzero(comps.boxes[:, 3] >= SHOW_MIN_HEIGHT * typical_height)
    if sized.size < 3:
        return comps
    peaks = np.array([cv2.minMaxLoc(ink[y:y + h, x:x + w])[1]
                      for x, y, w, h in comps.boxes[sized].tolist()])
    order = np.argsort(-peaks, kind="stable")
    strong = order[peaks[order] >= SHOW_STRONG * peaks[order[0]]][:SHOW_REFERENCE]
    faint = sized[peaks < SHOW_FAINT * order_stats.median_of(peaks[strong].tolist())]
    if strong.size < 2 or faint.size == 0:
        return comps  # (nearly every page: nothing faint beside the writing)
    page_steep = order_stats.median_of([stroke_steepness(comps, int(k), ink)
                                        for k in sized[strong]])
    keep = np.ones(len(comps), bool)
    for k in faint:
        keep[k] = stroke_steepness(comps, int(k), ink) >= SHOW_SOFT * page_steep
    return comps if keep.all() else comps.subset(keep)


def drop_step_edges(comps: Components, gray: np.ndarray, dark_ink: bool) -> Components:
    """Remove thin components that are the edge of a hard shadow rather than a stroke.

    A stroke has paper on both sides; along a shadow's edge the contrast map finds a thin
    strip on the shadow side, and its surroundings on that side are as dark as it is (the
    shadow goes on), while a real '1' is darker than the paper all round it.
    """
    if len(comps) == 0:
        return comps
    w, h = comps.boxes[:, 2], comps.boxes[:, 3]
    long_side = np.maximum(w, h)
    thin_box = (long_side >= THIN_ASPECT * np.minimum(w, h)) & (long_side >= MIN_EDGE_LENGTH)
    # (a slanting strip fills little of its upright box: judged by its own long axis)
    sparse = ~thin_box & (long_side >= MIN_EDGE_LENGTH) & (comps.areas <= EDGE_SPARSE * w * h)
    thin = [*np.nonzero(thin_box)[0],
            *(k for k in np.nonzero(sparse)[0] if thin_along_its_axis(comps.own_mask(int(k))))]
    edges = [k for k in thin if is_step_edge(comps, int(k), gray, dark_ink)]
    if not edges:
        return comps
    keep = np.ones(len(comps), bool)
    keep[edges] = False
    return comps.subset(keep)


def is_step_edge(comps: Components, k: int, gray: np.ndarray, dark_ink: bool) -> bool:
    """Is component k a brightness step (shadow edge) rather than a stroke? See drop_step_edges."""
    window, own, ring = ring_around(comps.labels, comps.ids[k], comps.boxes[k])
    ring = beside_long_sides(ring, window, comps.boxes[k])
    values = gray[window]
    if not dark_ink:
        values = 255 - values
    around = values[ring]
    if around.size < 8:
        return False
    inked = np.sort(values[own])  # small arrays: sorting beats histograms
    around = np.sort(around)
    ink = int(inked[len(inked) // 2])
    dark_side, light_side = int(around[len(around) // 5]), int(around[len(around) * 4 // 5])
    if not (light_side > ink and dark_side - ink < STEP_EDGE_RATIO * (light_side - ink)):
        return False
    darkest = int(inked[len(inked) // 10])
    return dark_side - darkest <= max(STEP_EDGE_INK_GAP, STEP_EDGE_RATIO * (light_side - darkest))


# A cheque cropped from its box keeps a stub of the box's side: a ruled vertical line in a
# corner of the image, running from its top or bottom edge, that read as a leading "1" (ORAND
# a_car_001203: a 2 px line 55 of 63 rows tall, "21301" read "121301"). A component is such a
# side when it lies within FRAME_SIDE_MARGIN px of the image's left or right edge, touches its
# top or bottom edge, is at most FRAME_SIDE_W px wide and FRAME_SIDE_TALL times taller than
# wide: a pen's 1 so thin and tall, in a corner, reaching out of the picture is not written.
# Not one spanning the image from top to bottom, nor the only mark: a region cropped tightly
# around a thin 1 (the app's freeze & crop) has it touch every edge.
# ORAND training images 90.4 -> 90.5 %, CER 2.64 -> 2.62 % (that cheque fixed, none broken);
# synthetic 5000-5599, 6000-6399 and 1000-1199 page for page the same
FRAME_SIDE_MARGIN = 3
FRAME_SIDE_W = 3
FRAME_SIDE_TALL = 12


# A sheet photographed on a table, turned a little, leaves a sliver of the table along the
# frame's side, darker than the sheet: a thin strip lying along the image's edge (its edge
# column or row holds FRAME_SLIVER_SHARE of its length), read as a 1 at each end of a line.
# Writing does not lie along the frame's edge, but a digit cut by it can end in a short flat
# piece along it (a cheque's 8 lost its foot, 7 x 2 px, and read 9), so a sliver is at least
# FRAME_SLIVER_LONG x the page's usual height long. Sheet-on-table probes 17 -> 29 of 36;
# ORAND training and held-out, synthetic 5000-5599, forms 5000-5299 page for page the same.
FRAME_SLIVER_ASPECT = 3.0
FRAME_SLIVER_SHARE = 0.6
FRAME_SLIVER_LONG = 0.5


def drop_frame_sides(comps: Components, shape: tuple[int, int],
                     typical_height: float = 0.0) -> Components:
    """Remove the stubs of a box's sides left in the image's corners (see FRAME_SIDE_W) and,
    given the page's usual height, the slivers of what lies round a photographed sheet (see
    FRAME_SLIVER_SHARE)."""
    if len(comps) < 2:
        return comps
    img_h, img_w = shape[:2]
    x, y, w, h = (comps.boxes[:, i] for i in range(4))
    side = ((x <= FRAME_SIDE_MARGIN) | (x + w >= img_w - FRAME_SIDE_MARGIN)) & (
        (y == 0) != (y + h >= img_h)) & (w <= FRAME_SIDE_W) & (h >= FRAME_SIDE_TALL * w)
    # (not one spanning the image: a region cropped tightly around a 1 has it along its side)
    long_enough = typical_height > 0 and np.maximum(w, h) >= FRAME_SLIVER_LONG * typical_height
    upright = (long_enough & (h >= FRAME_SLIVER_ASPECT * w) & ((x <= 0) | (x + w >= img_w))
               & ~((y <= 0) & (y + h >= img_h)))
    flat = (long_enough & (w >= FRAME_SLIVER_ASPECT * h) & ((y <= 0) | (y + h >= img_h))
            & ~((x <= 0) & (x + w >= img_w)))
    for k in np.nonzero((upright | flat) & ~side)[0]:
        side[k] = along_the_frame(comps, int(k), bool(upright[k]))
    if not side.any():
        return comps
    return comps.subset(~side)


def along_the_frame(comps: Components, k: int, upright: bool) -> bool:
    """Does component k (thin, touching the frame) lie along the frame's edge: its pixels in
    the edge column (upright) or row cover FRAME_SLIVER_SHARE of its length?"""
    own = comps.own_mask(k)
    x, y = (int(v) for v in comps.boxes[k, :2])
    if upright:
        edge = own[:, 0] if x <= 0 else own[:, -1]
    else:
        edge = own[0] if y <= 0 else own[-1]
    return float(edge.mean()) >= FRAME_SLIVER_SHARE
